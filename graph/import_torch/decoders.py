"""``nn.TransformerDecoder`` and ``nn.TransformerDecoderLayer``, which have no block, imported as
the layers they call: DETR's decoder (and any batch-first one) becomes its self-attention, its
cross-attention to the encoder's memory (a MultiheadAttention whose key and value are the
memory), its dropouts, Adds, LayerNorms and feed-forward Linears.

The tracer goes into a decoder layer as into the user's own code. ``TransformerDecoder``'s own
forward reads the mask's values to tell a causal one, which fx cannot trace; it computes its
layers one after another, each given its masks, then its norm, and is traced so (a causal
``tgt_mask``, PyTorch's translation tutorial's, is the self-attention's is_causal).
"""

from __future__ import annotations

import inspect

from torch import fx, nn

TRACED_THROUGH = (nn.TransformerDecoder, nn.TransformerDecoderLayer, nn.Transformer)


_LAYER_MASKS = ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")


def decoder_layers(tracer: fx.Tracer, decoder: nn.TransformerDecoder, forward, args, kwargs):
    """``decoder``'s call traced as its layers, then its norm, each layer given the decoder's
    masks (which its attentions import or refuse: a causal ``tgt_mask`` is the self-attention's
    is_causal); ``tgt_is_causal`` is a hint that torch reads from the mask's values, which fx
    cannot, so it is passed on as given (the mask is applied either way)."""
    bound = inspect.signature(decoder.forward).bind(*args, **kwargs)
    given = {k: v for k, v in bound.arguments.items() if k not in ("tgt", "memory")}
    if any(v is not None and v is not False for k, v in given.items()
           if k not in (*_LAYER_MASKS, "tgt_is_causal")):
        return fx.Tracer.call_module(tracer, decoder, forward, args, kwargs)
    masks = {k: given[k] for k in _LAYER_MASKS if given.get(k) is not None}
    if given.get("tgt_is_causal") is True:
        masks["tgt_is_causal"] = True
    output, memory = bound.arguments["tgt"], bound.arguments["memory"]
    for layer in decoder.layers:
        output = tracer.call_module(layer, layer.forward, (output, memory), dict(masks))
    if decoder.norm is not None:
        output = tracer.call_module(decoder.norm, decoder.norm.forward, (output,), {})
    return output


def transformer_parts(tracer: fx.Tracer, transformer: nn.Transformer, forward, args, kwargs):
    """``nn.Transformer``'s call traced as its encoder on ``src`` (given ``src_mask`` and
    ``src_key_padding_mask``), then its decoder on ``tgt`` and the encoder's memory (given
    the other masks); its own forward compares the inputs' sizes, which fx cannot trace."""
    bound = inspect.signature(transformer.forward).bind(*args, **kwargs)
    given = {k: v for k, v in bound.arguments.items() if k not in ("src", "tgt")
             and v is not None and v is not False}
    if set(given) - {"src_mask", "src_key_padding_mask", *_LAYER_MASKS, "tgt_is_causal"}:
        return fx.Tracer.call_module(tracer, transformer, forward, args, kwargs)
    encoder, decoder = transformer.encoder, transformer.decoder
    told = {"mask": given.get("src_mask"),
            "src_key_padding_mask": given.get("src_key_padding_mask")}
    memory = tracer.call_module(encoder, encoder.forward, (bound.arguments["src"],),
                                {k: v for k, v in told.items() if v is not None})
    rest = {k: v for k, v in given.items() if k in (*_LAYER_MASKS, "tgt_is_causal")}
    return tracer.call_module(decoder, decoder.forward, (bound.arguments["tgt"], memory), rest)
