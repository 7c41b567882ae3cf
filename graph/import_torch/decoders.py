"""``nn.TransformerDecoder`` and ``nn.TransformerDecoderLayer``, which have no block, imported as
the layers they call: DETR's decoder (and any batch-first one) becomes its self-attention, its
cross-attention to the encoder's memory (a MultiheadAttention whose key and value are the
memory), its dropouts, Adds, LayerNorms and feed-forward Linears.

The tracer goes into a decoder layer as into the user's own code. ``TransformerDecoder``'s own
forward reads the sequence's length to tell a causal mask, which fx cannot trace; without
masks it computes its layers one after another, then its norm, and is traced so.
"""

from __future__ import annotations

import inspect

from torch import fx, nn

TRACED_THROUGH = (nn.TransformerDecoder, nn.TransformerDecoderLayer, nn.Transformer)


def decoder_layers(tracer: fx.Tracer, decoder: nn.TransformerDecoder, forward, args, kwargs):
    """``decoder``'s call traced as its layers, then its norm, where it is given no mask (nor
    ``tgt_is_causal``); with one, traced as it is (and refused there)."""
    bound = inspect.signature(decoder.forward).bind(*args, **kwargs)
    if any(v is not None and v is not False for k, v in bound.arguments.items()
           if k not in ("tgt", "memory")):
        return fx.Tracer.call_module(tracer, decoder, forward, args, kwargs)
    output, memory = bound.arguments["tgt"], bound.arguments["memory"]
    for layer in decoder.layers:
        output = tracer.call_module(layer, layer.forward, (output, memory), {})
    if decoder.norm is not None:
        output = tracer.call_module(decoder.norm, decoder.norm.forward, (output,), {})
    return output


def transformer_parts(tracer: fx.Tracer, transformer: nn.Transformer, forward, args, kwargs):
    """``nn.Transformer``'s call traced as its encoder on ``src``, then its decoder on ``tgt``
    and the encoder's memory, where it is given no mask; its own forward compares the inputs'
    sizes, which fx cannot trace. With a mask, traced as it is (and refused there)."""
    bound = inspect.signature(transformer.forward).bind(*args, **kwargs)
    if any(v is not None and v is not False for k, v in bound.arguments.items()
           if k not in ("src", "tgt")):
        return fx.Tracer.call_module(tracer, transformer, forward, args, kwargs)
    encoder, decoder = transformer.encoder, transformer.decoder
    memory = tracer.call_module(encoder, encoder.forward, (bound.arguments["src"],), {})
    return tracer.call_module(decoder, decoder.forward, (bound.arguments["tgt"], memory), {})
