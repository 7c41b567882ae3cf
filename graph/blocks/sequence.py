"""Sequence blocks: embeddings, recurrent layers, attention, Transformer encoder layers."""

from __future__ import annotations


from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, Ports, register
from .common import TORCH_DOCS, expect_min_rank, expect_rank, prod, show
from .common import modules, nn  # imported when a block is built
from .merge import broadcast


def _embedding_shape(p, ins):
    idx = p["padding_idx"]
    if idx is not None and not -p["num_embeddings"] <= idx < p["num_embeddings"]:
        raise ShapeError(f"padding_idx {idx} is outside the {p['num_embeddings']} embeddings",
                         param="padding_idx")
    return tuple(ins[0]) + (p["embedding_dim"],)


register(BlockSpec(
    "Embedding", "Sequence", "Looks up a learned vector for each token id: [L] → [L, D].",
    params=(Param("num_embeddings", "int", 1000, "Vocabulary size (ids 0..n−1).", min=1),
            Param("embedding_dim", "int", 64, "Size of each vector.", min=1),
            Param("padding_idx", "int", None, "An id whose vector stays zero (padding).",
                  nullable=True)),
    infer=_embedding_shape, input_dtype="int",
    build=lambda p, ins: nn.Embedding(p["num_embeddings"], p["embedding_dim"],
                                      padding_idx=p["padding_idx"]),
    count_params=lambda p, ins, out: p["num_embeddings"] * p["embedding_dim"],
    key_params=("num_embeddings", "embedding_dim"), doc_url=TORCH_DOCS.format("Embedding"),
    examples=(({"num_embeddings": 50, "embedding_dim": 8}, ((12,),)),
              ({"num_embeddings": 20, "embedding_dim": 5, "padding_idx": 0}, ((7,),))),
))


def _positional_shape(p, ins):
    expect_rank(ins[0], 2, "[L, D]")
    if ins[0][0] > p["max_len"]:
        raise ShapeError(f"sequence length {ins[0][0]} is longer than max_len {p['max_len']}",
                         param="max_len")
    return ins[0]


def _rotary_shape(p, ins):
    expect_min_rank(ins[0], 2, "[..., L, D]: steps then their features (queries or keys, "
                               "heads before the steps)")
    if ins[0][-1] % 2:
        raise ShapeError(f"RotaryEmbedding rotates pairs of features, but {show(ins[0])} has "
                         f"{ins[0][-1]}, an odd number")
    return tuple(ins[0])


register(BlockSpec(
    "RotaryEmbedding", "Sequence",
    "Rotates each step's features by its position (RoPE): [..., L, D] queries or keys, before "
    "the attention; no weights, any length.",
    params=(Param("base", "float", 10000.0, "Base of the rotation's frequencies "
                                            "(base^(−2i/D) radians per step).", min=1),),
    infer=_rotary_shape,
    build=lambda p, ins: modules.RotaryEmbedding(ins[0][-1], p["base"]),
    key_params=("base",), doc_url="https://arxiv.org/abs/2104.09864",
    examples=(({"base": 10000.0}, ((2, 6, 8),)), ({}, ((5, 4),))),
))


register(BlockSpec(
    "PositionalEmbedding", "Sequence", "Adds a learned position vector to each step of [L, D].",
    params=(Param("max_len", "int", 512, "Longest sequence it can take.", min=1),),
    infer=_positional_shape,
    build=lambda p, ins: modules.PositionalEmbedding(p["max_len"], ins[0][1]),
    count_params=lambda p, ins, out: p["max_len"] * ins[0][1], key_params=("max_len",),
    doc_url=TORCH_DOCS.format("Embedding"),
    examples=(({"max_len": 16}, ((10, 8),)), ({"max_len": 5}, ((5, 3),))),
))


register(BlockSpec(
    "SinusoidalPositionalEncoding", "Sequence",
    "Adds the fixed sine and cosine position table of the original Transformer (the PyTorch "
    "tutorial's PositionalEncoding) to each step of [L, D]; nothing is learned.",
    params=(Param("max_len", "int", 512, "Longest sequence it can take (rows of the table).",
                  min=1),),
    infer=_positional_shape,
    build=lambda p, ins: modules.SinusoidalPositionalEncoding(p["max_len"], ins[0][1]),
    count_params=lambda p, ins, out: 0, key_params=("max_len",),
    doc_url="https://pytorch.org/tutorials/beginner/transformer_tutorial.html",
    examples=(({"max_len": 16}, ((10, 8),)), ({"max_len": 5}, ((5, 3),))),
))


def _token_type_shape(p, ins):
    expect_min_rank(ins[0], 1, "[L, D]")
    if p["type_id"] >= p["num_types"]:
        raise ShapeError(f"type_id {p['type_id']} is not a row of the {p['num_types']} token "
                         f"types (0 to {p['num_types'] - 1})", param="type_id")
    return ins[0]


register(BlockSpec(
    "TokenTypeEmbedding", "Sequence",
    "Adds row type_id of a learned [num_types, D] table to each step of [L, D]: BERT's token "
    "type (segment) embedding where every token has the same type, as when no token_type_ids "
    "are given (all 0). The other rows are kept, unused, as in the model it came from.",
    params=(Param("num_types", "int", 2, "Rows of the table: how many token types (BERT: 2).",
                  min=1),
            Param("type_id", "int", 0, "The type of every token: the row added.", min=0)),
    infer=_token_type_shape,
    build=lambda p, ins: modules.TokenTypeEmbedding(p["num_types"], ins[0][-1], p["type_id"]),
    count_params=lambda p, ins, out: p["num_types"] * ins[0][-1],
    key_params=("num_types", "type_id"),
    doc_url=TORCH_DOCS.format("Embedding"),
    examples=(({}, ((10, 8),)), ({"num_types": 3, "type_id": 2}, ((5, 4),))),
))

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _recurrent(kind: str, help: str):
    gates = _GATES[kind]

    def directions(p):
        return 2 if p["bidirectional"] else 1

    def infer(p, ins):
        expect_rank(ins[0], 2, "[L, D]")
        if len(ins) > 1:  # padding_mask
            expect_rank(ins[1], 1, "a [L] padding mask (from a PaddingMask block)", port=1)
            if ins[1][0] != ins[0][0]:
                raise ShapeError(f"padding_mask has {ins[1][0]} steps, but the sequence has "
                                 f"{ins[0][0]}", port=1)
        width = p["hidden_size"] * directions(p)
        return (width,) if p["output"] == "last" else (ins[0][0], width)

    def layer_inputs(p, ins):
        return [ins[0][1]] + [p["hidden_size"] * directions(p)] * (p["num_layers"] - 1)

    def count(p, ins, out):
        h = p["hidden_size"]
        per_dir = sum(gates * h * (i + h) + (2 * gates * h if p["bias"] else 0)
                      for i in layer_inputs(p, ins))
        return per_dir * directions(p)

    def macs(p, ins, out):
        h = p["hidden_size"]
        return ins[0][0] * directions(p) * sum(gates * h * (i + h) for i in layer_inputs(p, ins))

    def build(p, ins):
        kwargs = dict(input_size=ins[0][1], hidden_size=p["hidden_size"],
                      num_layers=p["num_layers"], bidirectional=p["bidirectional"],
                      dropout=p["dropout"] if p["num_layers"] > 1 else 0.0, bias=p["bias"])
        if kind == "RNN":
            kwargs["nonlinearity"] = p["nonlinearity"]
        return modules.Recurrent(kind, p["output"], **kwargs)

    params = [
        Param("hidden_size", "int", 64, "Features of the hidden state.", min=1),
        Param("num_layers", "int", 1, "Stacked recurrent layers.", min=1),
        Param("bidirectional", "bool", False, "Also run backwards; outputs are joined."),
        Param("dropout", "float", 0.0, "Dropout between stacked layers.", min=0, max=1),
        Param("output", "choice", "sequence", "'sequence': every step [L, H×dirs]; 'last': the "
              "final hidden state [H×dirs].", choices=("sequence", "last")),
        Param("bias", "bool", True, "Learn bias weights."),
    ]
    if kind == "RNN":
        params.append(Param("nonlinearity", "choice", "tanh", "Activation.",
                            choices=("tanh", "relu")))
    params.append(Param("input_size", "int", None, "Input features (inferred).", min=1,
                        inferred=True))
    register(BlockSpec(
        kind, "Sequence", help, params=tuple(params),
        ports=Ports("named", names=("input", "padding_mask"), min=1, max=2),
        port_dtypes=("float", "int"), shared_ports=("padding_mask",),
        inferred={"input_size": lambda ins: ins[0][-1]}, infer=infer, build=build,
        count_params=count, macs=macs, key_params=("hidden_size", "output"),
        doc_url=TORCH_DOCS.format(kind),
        examples=(({"hidden_size": 6}, ((9, 4),)),
                  ({"hidden_size": 5, "num_layers": 2, "bidirectional": True,
                    "output": "last"}, ((7, 3),)),
                  ({"hidden_size": 4, "output": "last", "bias": False}, ((1, 2),))),
    ))


_PADDING = (" Given a padding_mask (from a PaddingMask of the token ids), it reads each text "
            "to its last word only, so padding after a text changes nothing.")
_recurrent("LSTM", "Long short-term memory over a [L, D] sequence." + _PADDING)
_recurrent("GRU", "Gated recurrent unit over a [L, D] sequence." + _PADDING)
_recurrent("RNN", "Elman recurrent layer over a [L, D] sequence." + _PADDING)


def _attention_parts(ins):
    q = ins[0]
    k = ins[1] if len(ins) > 1 else q
    v = ins[2] if len(ins) > 2 else k
    return q, k, v


_MASK_PORT = 3  # key_padding_mask, after query, key and value
ATTENTION_PORTS = ("query", "key", "value", "key_padding_mask")
_MASK_HELP = (" A fourth input, key_padding_mask (query, key and value then all connected), "
              "is a [L] int64 mask from a PaddingMask block: a key step where it is nonzero is "
              "padding and gets no attention, as torch's key_padding_mask=True.")


def _padding_mask_shape(ins, key_length: int) -> None:
    """The key_padding_mask input, if any: ``[L]``, L the key's length."""
    if len(ins) <= _MASK_PORT:
        return
    mask = ins[_MASK_PORT]
    expect_rank(mask, 1, "a [L] padding mask (from a PaddingMask block)", port=_MASK_PORT)
    if mask[0] != key_length:
        raise ShapeError(f"key_padding_mask has {mask[0]} steps, but the key has {key_length}",
                         port=_MASK_PORT)


def _attention_shape(p, ins):
    for port, shape in enumerate(ins[:_MASK_PORT]):
        expect_rank(shape, 2, "[L, D]", port=port)
    q, k, v = _attention_parts(ins)
    _padding_mask_shape(ins, k[0])
    if q[1] % p["num_heads"]:
        raise ShapeError(f"embed_dim {q[1]} (the query's last dimension) is not divisible by "
                         f"num_heads {p['num_heads']}", param="num_heads")
    if k[0] != v[0]:
        raise ShapeError(f"key and value need the same length, got {k[0]} and {v[0]}", port=2)
    if p.get("is_causal") and k[0] != q[0]:
        raise ShapeError(f"is_causal needs the key as long as the query, got {k[0]} and "
                         f"{q[0]} steps", param="is_causal")
    return q


def _attention_count(p, ins, out):
    q, k, v = _attention_parts(ins)
    e = q[1]
    bias = 4 * e if p["bias"] else 0
    return e * e + e * k[1] + e * v[1] + e * e + bias


def _attention_macs(p, ins, out):
    q, k, v = _attention_parts(ins)
    e = q[1]
    projections = q[0] * e * e + k[0] * e * k[1] + v[0] * e * v[1] + q[0] * e * e
    return projections + 2 * q[0] * k[0] * e


register(BlockSpec(
    "MultiheadAttention", "Sequence",
    "Scaled dot-product attention with several heads; one input is self-attention." + _MASK_HELP,
    params=(Param("num_heads", "int", 4, "Parallel heads (divides the embedding size).", min=1),
            Param("dropout", "float", 0.0, "Dropout on attention weights.", min=0, max=1),
            Param("bias", "bool", True, "Learn projection biases."),
            Param("is_causal", "bool", False, "Each query step attends only to the key steps "
                  "up to its own (a causal mask: torch's generate_square_subsequent_mask); the "
                  "query and the key have the same length."),
            Param("embed_dim", "int", None, "Query features (inferred).", min=1, inferred=True)),
    ports=Ports("named", names=ATTENTION_PORTS, min=1, max=4),
    port_dtypes=("float", "float", "float", "int"),
    inferred={"embed_dim": lambda ins: ins[0][-1]}, infer=_attention_shape,
    build=lambda p, ins: modules.Attention(ins[0][1], p["num_heads"], p["dropout"], p["bias"],
                                           *[s[1] for s in _attention_parts(ins)[1:]],
                                           is_causal=bool(p.get("is_causal"))),
    count_params=_attention_count, macs=_attention_macs, key_params=("num_heads",),
    doc_url=TORCH_DOCS.format("MultiheadAttention"),
    examples=(({"num_heads": 2}, ((6, 8),)), ({"num_heads": 4}, ((5, 8), (7, 8), (7, 8))),
              ({"num_heads": 1, "bias": False}, ((3, 4), (6, 5), (6, 7))),
              ({"num_heads": 2, "is_causal": True}, ((6, 8),))),
))


def _dot_product_shape(p, ins):
    q, k, v = _attention_parts(ins)
    _padding_mask_shape(ins, k[-2])
    for port, shape in enumerate(ins[:_MASK_PORT]):
        expect_min_rank(shape, 2, "[..., L, E] (at least 2-D: [L, E], or [H, L, E] with heads)",
                        port=port)
        if len(shape) != len(q):
            raise ShapeError("query, key and value need the same rank, got "
                             + ", ".join(show(s) for s in ins), port=port)
    if k[-1] != q[-1]:
        raise ShapeError(f"the key's last dimension ({k[-1]}) must equal the query's "
                         f"({q[-1]})", port=1)
    if k[-2] != v[-2]:
        raise ShapeError(f"key and value need the same length, got {k[-2]} and {v[-2]}",
                         port=2)
    if p.get("enable_gqa") and len(q) > 2 and (k[-3] != q[-3] or v[-3] != q[-3]):
        if k[-3] != v[-3] or q[-3] % k[-3]:
            raise ShapeError(f"with enable_gqa, the query's heads ({q[-3]}) must be a multiple "
                             f"of the key's and value's ({k[-3]}, {v[-3]})", port=1)
        k, v = (*k[:-3], q[-3], *k[-2:]), (*v[:-3], q[-3], *v[-2:])
    lead = broadcast([q[:-2], k[:-2], v[:-2]], "ScaledDotProductAttention") if len(q) > 2 \
        else ()
    return lead + (q[-2], v[-1])


def _dot_product_macs(p, ins, out):
    q, k, v = _attention_parts(ins)
    return prod(out[:-2]) * q[-2] * k[-2] * (q[-1] + v[-1])


register(BlockSpec(
    "ScaledDotProductAttention", "Sequence",
    "softmax(query · keyᵀ · scale) · value, as F.scaled_dot_product_attention: attention "
    "without projections or weights, over [L, E] or per head over [H, L, E] (the heads made "
    "by Unflatten and Permute). One input is self-attention (query = key = value)."
    + _MASK_HELP,
    params=(Param("is_causal", "bool", False, "Each position attends only to itself and "
                  "those before it (a causal mask, as in GPT)."),
            Param("scale", "float", None, "Factor of the scores (null: 1/√E, E the query's "
                  "last size).", nullable=True, min=0, min_inclusive=False),
            Param("dropout", "float", 0.0, "Dropout on the attention weights, while training.",
                  min=0, max=1),
            Param("enable_gqa", "bool", False, "Grouped-query attention: key and value may "
                  "have fewer heads [H/g, L, E] than the query [H, L, E], each shared by g "
                  "query heads (LLaMA, Mistral).")),
    ports=Ports("named", names=ATTENTION_PORTS, min=1, max=4),
    port_dtypes=("float", "float", "float", "int"), infer=_dot_product_shape,
    build=lambda p, ins: modules.ScaledDotProductAttention(p["dropout"], p["is_causal"],
                                                           p["scale"], p["enable_gqa"]),
    macs=_dot_product_macs, key_params=("is_causal",),
    doc_url="https://pytorch.org/docs/stable/generated/"
            "torch.nn.functional.scaled_dot_product_attention.html",
    examples=(({}, ((6, 8),)), ({"is_causal": True}, ((2, 5, 4), (2, 5, 4), (2, 5, 3))),
              ({"scale": 0.5}, ((2, 3, 4), (2, 7, 4), (2, 7, 6))),
              ({"is_causal": True, "enable_gqa": True}, ((4, 5, 4), (2, 5, 4), (2, 5, 3)))),
))


def _encoder_shape(p, ins):
    expect_rank(ins[0], 2, "[L, D]")
    if len(ins) > 1:  # src_key_padding_mask
        expect_rank(ins[1], 1, "a [L] padding mask (from a PaddingMask block)", port=1)
        if ins[1][0] != ins[0][0]:
            raise ShapeError(f"src_key_padding_mask has {ins[1][0]} steps, but the sequence "
                             f"has {ins[0][0]}", port=1)
    if ins[0][1] % p["nhead"]:
        raise ShapeError(f"d_model {ins[0][1]} is not divisible by nhead {p['nhead']}",
                         param="nhead")
    return ins[0]


def _encoder_count(p, ins, out):
    d, f = ins[0][1], p["dim_feedforward"]
    attention = 4 * d * d + 4 * d
    feedforward = d * f + f + f * d + d
    return attention + feedforward + 4 * d


def _encoder_macs(p, ins, out):
    length, d = ins[0]
    return 4 * length * d * d + 2 * length * length * d + 2 * length * d * p["dim_feedforward"]


def _encoder_layer(p, ins):
    """torch's layer, or LayerLoom's where it has a mask (causal, or padding as an input)."""
    settings = dict(dim_feedforward=p["dim_feedforward"], dropout=p["dropout"],
                    activation=p["activation"], norm_first=p["norm_first"],
                    layer_norm_eps=p["layer_norm_eps"], batch_first=True)
    if len(ins) > 1 or p.get("is_causal"):
        return modules.MaskedEncoderLayer(ins[0][1], p["nhead"], **settings,
                                          is_causal=bool(p.get("is_causal")))
    return nn.TransformerEncoderLayer(ins[0][1], p["nhead"], **settings)


register(BlockSpec(
    "TransformerEncoderLayer", "Sequence",
    "Self-attention plus a feed-forward network, each with a residual and LayerNorm. A "
    "second input, src_key_padding_mask, is a [L] int64 mask from a PaddingMask block: a step "
    "where it is nonzero is padding and gets no attention (repeated, every copy takes it). "
    "With is_causal, each step attends only to itself and the steps before it.",
    params=(Param("nhead", "int", 4, "Attention heads (divides d_model).", min=1),
            Param("dim_feedforward", "int", 2048, "Hidden size of the feed-forward network.",
                  min=1),
            Param("dropout", "float", 0.1, "Dropout.", min=0, max=1),
            Param("activation", "choice", "relu", "Feed-forward activation.",
                  choices=("relu", "gelu")),
            Param("norm_first", "bool", False, "LayerNorm before attention and feed-forward "
                  "(pre-norm)."),
            Param("layer_norm_eps", "float", 1e-5, "LayerNorm epsilon.", min=0,
                  min_inclusive=False),
            Param("is_causal", "bool", False, "Each step attends only to itself and the steps "
                  "before it (a causal mask, as a language model's: torch's "
                  "generate_square_subsequent_mask)."),
            Param("d_model", "int", None, "Features per step (inferred).", min=1, inferred=True)),
    ports=Ports("named", names=("src", "src_key_padding_mask"), min=1, max=2),
    port_dtypes=("float", "int"), shared_ports=("src_key_padding_mask",),
    inferred={"d_model": lambda ins: ins[0][-1]}, infer=_encoder_shape,
    build=_encoder_layer, count_params=_encoder_count, macs=_encoder_macs,
    key_params=("nhead", "dim_feedforward"), doc_url=TORCH_DOCS.format("TransformerEncoderLayer"),
    examples=(({"nhead": 2, "dim_feedforward": 16}, ((5, 8),)),
              ({"nhead": 3, "dim_feedforward": 10, "norm_first": True, "activation": "gelu"},
               ((4, 6),)),
              ({"nhead": 2, "dim_feedforward": 16, "is_causal": True}, ((5, 8),))),
))


register(BlockSpec(
    "PaddingMask", "Sequence",
    "Marks padding: 1 where the input equals pad_value, else 0 ([L] int64 → [L] int64). "
    "Fed token ids (pad_value the <pad> id, 0 in LayerLoom's text datasets) or a Hugging "
    "Face attention_mask (pad_value 0), it gives the key_padding_mask input of "
    "MultiheadAttention and ScaledDotProductAttention, so that padded steps get no attention, "
    "and the padding_mask input of LSTM, GRU and RNN, so that they read each text to its end.",
    params=(Param("pad_value", "int", 0, "The value that marks a padding step."),),
    infer=lambda p, ins: ins[0], input_dtype="int", output_dtype="same",
    build=lambda p, ins: modules.PaddingMask(p["pad_value"]), key_params=("pad_value",),
    examples=(({}, ((7,),)), ({"pad_value": 1}, ((3,),))),
))


def _sequence_pool_shape(p, ins):
    expect_min_rank(ins[0], 2, "[L, D]")
    return ins[0][1:]


register(BlockSpec(
    "SequencePool", "Sequence", "Pools a [L, D] sequence to [D]: mean, max, first or last step.",
    params=(Param("mode", "choice", "mean", "How to pool over the steps.",
                  choices=("mean", "max", "first", "last")),),
    infer=_sequence_pool_shape, build=lambda p, ins: modules.SequencePool(p["mode"]),
    key_params=("mode",),
    examples=(({}, ((7, 5),)), ({"mode": "max"}, ((3, 4),)), ({"mode": "first"}, ((2, 6),)),
              ({"mode": "last"}, ((9, 2),))),
))

