"""Blocks that imported models need: layer scale, class tokens, learned tokens, a tokenizer of
numeric features, channels-first LayerNorm and slices of one dimension (channel splits:
``chunk``, ``x[:, :k]``)."""

from __future__ import annotations

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import TORCH_DOCS, batch_dim, expect_rank, normalize_dim, show
from .common import modules  # imported when a block is built


def _scale_shape(p, ins):
    normalize_dim(p["dim"], len(ins[0]))
    return ins[0]


register(BlockSpec(
    "Scale", "Normalisation",
    "Multiplies by a learned value per channel or feature (layer scale, as in ConvNeXt); with "
    "bias, adds a learned value per channel or feature too (ResMLP's Affine).",
    params=(Param("dim", "int", 0, "Dimension the scale runs along (batch not counted): 0 the "
                  "channels of a [C, H, W] map, -1 the features of a [L, D] sequence."),
            Param("init", "float", 1.0, "Initial value of every scale (1e-6 in ConvNeXt)."),
            Param("bias", "bool", False, "Also add a learned value per channel or feature "
                  "(initially 0): x · weight + bias.")),
    infer=_scale_shape,
    build=lambda p, ins: modules.Scale(ins[0][normalize_dim(p["dim"], len(ins[0]))],
                                       normalize_dim(p["dim"], len(ins[0])) + 1,
                                       len(ins[0]) + 1, p["init"], p["bias"]),
    count_params=lambda p, ins, out: ins[0][normalize_dim(p["dim"], len(ins[0]))]
    * (2 if p["bias"] else 1),
    macs=lambda p, ins, out: _numel(ins[0]),
    key_params=("dim",),
    examples=(({}, ((4, 3, 3),)), ({"dim": -1, "init": 1e-6}, ((5, 8),)),
              ({"dim": -1, "bias": True}, ((6, 8),))),
))


def _numel(shape) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def _token_shape(p, ins):
    expect_rank(ins[0], 2, "[L, D]")
    return (ins[0][0] + p["num_tokens"], ins[0][1])


register(BlockSpec(
    "ClassToken", "Sequence",
    "Puts learned tokens in front of a [L, D] sequence (the class token of ViT/DeiT), or after "
    "it (FT-Transformer's [CLS]): [L + num_tokens, D].",
    params=(Param("num_tokens", "int", 1, "How many learned tokens.", min=1),
            Param("at", "choice", "start", "Where the tokens go: 'start' (in front, as ViT's) "
                  "or 'end' (after the sequence, as FT-Transformer's).",
                  choices=("start", "end"))),
    infer=_token_shape,
    build=lambda p, ins: modules.ClassToken(p["num_tokens"], ins[0][1], p["at"]),
    count_params=lambda p, ins, out: p["num_tokens"] * ins[0][1],
    key_params=("num_tokens",),
    examples=(({}, ((6, 8),)), ({"num_tokens": 2}, ((3, 4),)), ({"at": "end"}, ((5, 4),))),
))


register(BlockSpec(
    "LearnedTokens", "Sequence",
    "A learned [num_tokens, dim] array, the same for every sample (Perceiver's latent array, "
    "DETR's object queries, the seeds of a Set Transformer's pooling): its input gives only "
    "the batch size.",
    params=(Param("num_tokens", "int", 8, "How many learned tokens.", min=1),
            Param("dim", "int", 16, "Width of each token.", min=1)),
    infer=lambda p, ins: (p["num_tokens"], p["dim"]),
    build=lambda p, ins: modules.LearnedTokens(p["num_tokens"], p["dim"]),
    count_params=lambda p, ins, out: p["num_tokens"] * p["dim"],
    key_params=("num_tokens", "dim"), input_dtype="any",
    examples=(({}, ((6, 8),)), ({"num_tokens": 3, "dim": 4}, ((5,),))),
))


def _tokenizer_shape(p, ins):
    expect_rank(ins[0], 1, "[F] (one number per feature)")
    return (ins[0][0], p["d_token"])


register(BlockSpec(
    "FeatureTokenizer", "Sequence",
    "Makes each of the F numeric features a token: the feature's value times a learned "
    "[d_token] vector of its own, plus a learned bias of its own ([F] → [F, d_token]; the "
    "feature tokenizer of FT-Transformer, before its Transformer layers).",
    params=(Param("d_token", "int", 16, "Width of each token.", min=1),
            Param("bias", "bool", True, "Add a learned [d_token] bias per feature."),
            Param("n_features", "int", None, "Features (inferred).", min=1, inferred=True)),
    inferred={"n_features": lambda ins: ins[0][0]}, infer=_tokenizer_shape,
    build=lambda p, ins: modules.FeatureTokenizer(ins[0][0], p["d_token"], p["bias"]),
    count_params=lambda p, ins, out: ins[0][0] * p["d_token"] * (2 if p["bias"] else 1),
    key_params=("d_token",),
    examples=(({}, ((5,),)), ({"d_token": 4, "bias": False}, ((3,),))),
))


def _relative_bias_shape(p, ins):
    expect_rank(ins[0], 3, "[heads, Lq, Lk] (attention scores)")
    if p["num_buckets"] < (4 if p["bidirectional"] else 2):
        raise ShapeError("num_buckets must be at least 4 (2 per direction) when bidirectional, "
                         "else 2", param="num_buckets")
    if p["max_distance"] <= p["num_buckets"] // (4 if p["bidirectional"] else 2):
        raise ShapeError("max_distance must exceed the distances kept exact (a quarter of "
                         "num_buckets when bidirectional, else half)", param="max_distance")
    return ins[0]


register(BlockSpec(
    "RelativePositionBias", "Sequence",
    "Adds T5's relative position bias to attention scores [heads, Lq, Lk]: a learned value per "
    "head for each bucket of the distance from the query to the key (exact for short "
    "distances, logarithmic up to max_distance); runs at any length.",
    params=(Param("num_buckets", "int", 32, "Buckets of distances.", min=2),
            Param("max_distance", "int", 128, "Distances from this on share the last bucket.",
                  min=2),
            Param("bidirectional", "bool", True, "Tell keys before the query from keys after "
                  "it (an encoder's); False for a decoder's, which sees only earlier keys."),
            Param("num_heads", "int", None, "Heads (inferred).", min=1, inferred=True)),
    inferred={"num_heads": lambda ins: ins[0][0]}, infer=_relative_bias_shape,
    build=lambda p, ins: modules.RelativePositionBias(ins[0][0], p["num_buckets"],
                                                      p["max_distance"], p["bidirectional"]),
    count_params=lambda p, ins, out: p["num_buckets"] * ins[0][0],
    key_params=("num_buckets", "max_distance"),
    examples=(({}, ((2, 5, 5),)), ({"num_buckets": 8, "max_distance": 16,
                                    "bidirectional": False}, ((4, 3, 6),))),
))


def _ln2d_shape(p, ins):
    expect_rank(ins[0], 3, "[C, H, W]")
    return ins[0]


register(BlockSpec(
    "LayerNorm2d", "Normalisation",
    "Layer normalisation over the channels of a [C, H, W] map at each position (ConvNeXt).",
    params=(Param("eps", "float", 1e-6, "Added to the variance for numerical stability.",
                  min=0, min_inclusive=False),
            Param("num_channels", "int", None, "Channels (inferred).", min=1, inferred=True)),
    inferred={"num_channels": lambda ins: ins[0][0]},
    infer=_ln2d_shape,
    build=lambda p, ins: modules.LayerNorm2d(ins[0][0], eps=p["eps"]),
    count_params=lambda p, ins, out: 2 * ins[0][0],
    doc_url=TORCH_DOCS.format("LayerNorm"),
    examples=(({}, ((4, 3, 5),)),),
))


def _slice_bounds(p, ins):
    x = ins[0]
    dim = normalize_dim(p["dim"], len(x))
    size = x[dim]

    def bound(value: int) -> int:  # as Python reads x[start:end]: from the end, then clamped
        return min(max(value + size if value < 0 else value, 0), size)

    start = bound(p["start"])
    end = size if p["end"] is None else bound(p["end"])
    if start >= end:
        said = (f"start {p['start']} keeps" if p["end"] is None else
                f"start {p['start']} and end {p['end']} keep")
        raise ShapeError(f"{said} nothing of dimension {p['dim']} of {show(x)} (size {size}): "
                         f"as Python reads {'it' if p['end'] is None else 'them'}, from "
                         f"element {start} to {end}",
                         param="start" if start >= size else "end")
    return dim, start, end


def _slice_shape(p, ins):
    dim, start, end = _slice_bounds(p, ins)
    kept = len(range(start, end, p["step"]))  # every step-th element from start
    return ins[0][:dim] + (kept,) + ins[0][dim + 1:]


def _slice_build(p, ins):
    dim, _, _ = _slice_bounds(p, ins)  # the bounds as written: a negative end stays relative
    return modules.Slice(batch_dim(dim), p["start"], p["end"], p["step"])


register(BlockSpec(
    "Slice", "Shape",
    "Keeps elements start..end of one dimension, every step-th of them (a channel split: "
    "chunk(2, dim=1)[1] is Slice(dim=0, start=C/2); x[:, :, ::2] is Slice(dim=1, step=2)).",
    params=(Param("dim", "int", 0, "Dimension to slice (batch not counted)."),
            Param("start", "int", 0, "First element kept (negative: from the end)."),
            Param("end", "int", None, "One past the last element kept (null: to the end; "
                  "negative: from the end).", nullable=True),
            Param("step", "int", 1, "Keep every step-th element from start (2: every other "
                  "one, as x[..., ::2, ::2] takes every other row and column).", min=1)),
    infer=_slice_shape, build=_slice_build, input_dtype="any", output_dtype="same",
    key_params=("dim", "start", "end"),
    doc_url="https://pytorch.org/docs/stable/generated/torch.narrow.html",
    examples=(({"start": 2}, ((6, 3, 3),)), ({"dim": -1, "start": 1, "end": 3}, ((4, 5),)),
              ({"dim": 1, "start": 1, "step": 2}, ((3, 7, 6),))),
))
