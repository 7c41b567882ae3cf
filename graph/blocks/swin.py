"""Swin Transformer blocks (V1, as torchvision writes them): ShiftedWindowAttention and
PatchMerging, both on channels-last ``[H, W, C]`` maps."""

from __future__ import annotations

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import expect_rank, show
from .common import modules  # imported when a block is built

SWIN_DOCS = "https://pytorch.org/vision/main/models/swin_transformer.html"


def _pair(value) -> tuple[int, int]:
    value = tuple(value)
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def _padded(size: int, window: int) -> int:
    return -(-size // window) * window


def _swa_shape(p, ins):
    x = ins[0]
    expect_rank(x, 3, "[H, W, C] (channels last)")
    heads = p["num_heads"]
    if x[2] % heads:
        raise ShapeError(f"num_heads {heads} does not divide the {x[2]} channels of {show(x)}",
                         param="num_heads")
    window, shift = _pair(p["window_size"]), _pair(p["shift_size"])
    for axis, (w, s) in enumerate(zip(window, shift)):
        if s >= w:
            raise ShapeError(f"shift_size {list(shift)} must be smaller than window_size "
                             f"{list(window)} (axis {axis}: {s} >= {w})", param="shift_size")
    return x


def _swa_count(p, ins, out):
    c = ins[0][2]
    wh, ww = _pair(p["window_size"])
    return (3 * c * c + 3 * c * p["qkv_bias"] + c * c + c * p["proj_bias"]
            + (2 * wh - 1) * (2 * ww - 1) * p["num_heads"])


def _swa_macs(p, ins, out):
    """The qkv and output projections and the two attention products (q·kᵀ, attention·v) of
    every window, over the map padded to window multiples."""
    h, w, c = ins[0]
    wh, ww = _pair(p["window_size"])
    positions = _padded(h, wh) * _padded(w, ww)
    return positions * c * 3 * c + positions * c * c + 2 * positions * wh * ww * c


def _swa_build(p, ins):
    return modules.ShiftedWindowAttention(
        ins[0][2], list(_pair(p["window_size"])), list(_pair(p["shift_size"])), p["num_heads"],
        qkv_bias=p["qkv_bias"], proj_bias=p["proj_bias"],
        attention_dropout=p["attention_dropout"], dropout=p["dropout"])


register(BlockSpec(
    "ShiftedWindowAttention", "Sequence",
    "Swin Transformer's window attention on a channels-last [H, W, C] map (torchvision's Swin "
    "V1): multi-head self-attention within each window_size window, with a learned relative "
    "position bias; a shift_size > 0 rolls the map first (the shifted windows of every second "
    "block), masking positions the roll brought together. H and W are padded to window "
    "multiples and cropped back, so any size works; the output has the input's shape.",
    params=(Param("num_heads", "int", 4, "Attention heads (divides the channels).", min=1),
            Param("window_size", "int_tuple", 7, "Window height and width.", min=1, length=2),
            Param("shift_size", "int_tuple", 0, "Cyclic shift before windowing (0: none; "
                  "window_size // 2 in every second block).", min=0, length=2),
            Param("attention_dropout", "float", 0.0, "Dropout on the attention weights.",
                  min=0, max=1),
            Param("dropout", "float", 0.0, "Dropout after the output projection.", min=0, max=1),
            Param("qkv_bias", "bool", True, "Bias of the query/key/value projection."),
            Param("proj_bias", "bool", True, "Bias of the output projection.")),
    infer=_swa_shape, build=_swa_build, count_params=_swa_count, macs=_swa_macs,
    key_params=("num_heads", "window_size", "shift_size"), doc_url=SWIN_DOCS,
    examples=(({"num_heads": 2, "window_size": 4}, ((8, 8, 16),)),
              ({"num_heads": 2, "window_size": 4, "shift_size": 2}, ((8, 8, 16),)),
              ({"num_heads": 1, "window_size": [3, 4], "shift_size": [1, 2],
                "qkv_bias": False}, ((7, 5, 4),))),
))


def _merge_shape(p, ins):
    x = ins[0]
    expect_rank(x, 3, "[H, W, C] (channels last)")
    return (-(-x[0] // 2), -(-x[1] // 2), 2 * x[2])


register(BlockSpec(
    "PatchMerging", "Sequence",
    "Swin Transformer's patch merging on a channels-last [H, W, C] map (torchvision's): each "
    "2×2 neighbourhood joined on the channels (odd sizes padded with zeros), LayerNorm(4C), "
    "then a Linear to 2C without bias: [ceil(H/2), ceil(W/2), 2C].",
    params=(Param("eps", "float", 1e-5, "The LayerNorm's epsilon.", min=0, min_inclusive=False),),
    infer=_merge_shape,
    build=lambda p, ins: modules.PatchMerging(ins[0][2], eps=p["eps"]),
    count_params=lambda p, ins, out: 8 * ins[0][2] * ins[0][2] + 8 * ins[0][2],
    macs=lambda p, ins, out: out[0] * out[1] * 4 * ins[0][2] * 2 * ins[0][2],
    doc_url=SWIN_DOCS,
    examples=(({}, ((8, 8, 4),)), ({}, ((5, 7, 3),))),
))
