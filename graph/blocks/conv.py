"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d, with PyTorch's params and shape rules."""

from __future__ import annotations


from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import (RANK_NAMES, SPECTRAL_NORM, TORCH_DOCS, WEIGHT_NORM, expect_rank,
                     one_weight_norm, prod, times, weight_normed, window_out)
from .common import nn  # imported when a block is built

_SPATIAL = {1: "L", 2: "H×W", 3: "D×H×W"}


def _conv_params(n: int, transpose: bool) -> tuple[Param, ...]:
    params = [
        Param("out_channels", "int", 32, "Number of output channels (filters).", min=1),
        Param("kernel_size", "int_tuple", 3, "Size of the convolving kernel.", min=1, length=n),
        Param("stride", "int_tuple", 1, "Stride of the convolution.", min=1, length=n),
    ]
    if transpose:
        params += [
            Param("padding", "int_tuple", 0, "Implicit zero padding removed from each side "
                  "of the output.", min=0, length=n),
            Param("output_padding", "int_tuple", 0, "Extra size added to one side of the "
                  "output (smaller than stride or dilation).", min=0, length=n),
        ]
    else:
        params.append(Param("padding", "padding", 0, "Zero padding on each side: a number, "
                            "one per dimension, 'same' or 'valid'.", min=0, length=n))
    params += [
        Param("dilation", "int_tuple", 1, "Spacing between kernel elements.", min=1, length=n),
        Param("groups", "int", 1, "Blocked connections from input to output channels "
              "(in_channels for depthwise).", min=1),
        Param("bias", "bool", True, "Learn an additive bias."),
        WEIGHT_NORM,
        SPECTRAL_NORM,
        Param("in_channels", "int", None, "Input channels (inferred).", min=1, inferred=True),
    ]
    return tuple(params)


def _check_groups(p: dict, in_channels: int) -> None:
    groups = p["groups"]
    if in_channels % groups:
        raise ShapeError(f"in_channels {in_channels} is not divisible by groups {groups}",
                         param="groups")
    if p["out_channels"] % groups:
        raise ShapeError(f"out_channels {p['out_channels']} is not divisible by groups {groups}",
                         param="groups")


def _conv_shape(n: int):
    def infer(p, ins):
        x = ins[0]
        expect_rank(x, n + 1)
        _check_groups(p, x[0])
        one_weight_norm(p)
        spatial = x[1:]
        padding = p["padding"]
        if padding == "same":
            if any(s != 1 for s in p["stride"]):
                raise ShapeError("padding 'same' needs stride 1 (PyTorch does not support "
                                 "strided 'same' convolutions)", param="padding")
            return (p["out_channels"],) + spatial
        pads = (0,) * n if padding == "valid" else padding
        out = []
        for size, k, s, pad, d in zip(spatial, p["kernel_size"], p["stride"], pads, p["dilation"]):
            length = window_out(size, k, s, pad, d)
            if length < 1:
                span = tuple(d * (k - 1) + 1 for k, d in zip(p["kernel_size"], p["dilation"]))
                dilated = any(d > 1 for d in p["dilation"])
                kernel = (f"kernel {times(p['kernel_size'])} at dilation "
                          f"{times(p['dilation'])} spans {times(span)}, which is"
                          if dilated else f"kernel {times(span)} is")
                raise ShapeError(
                    f"{kernel} larger than its {times(spatial)} input (padding {times(pads)}); "
                    f"use a smaller {'dilation or ' if dilated else ''}kernel_size, more "
                    f"padding, or less downsampling before it",
                    param="dilation" if dilated else "kernel_size")
            out.append(length)
        return (p["out_channels"],) + tuple(out)
    return infer


def _conv_build(n: int):
    def build(p, ins):
        return weight_normed(p, getattr(nn, f"Conv{n}d")(
            ins[0][0], p["out_channels"], p["kernel_size"], stride=p["stride"],
            padding=_explicit_same(p), dilation=p["dilation"], groups=p["groups"],
            bias=p["bias"]))
    return build


def _explicit_same(p: dict):
    """'same' as the padding it means where that is the same on both sides (an odd span
    ``dilation * (kernel - 1) + 1``): the same numbers, and an ONNX file every runtime reads
    (onnxruntime refuses auto_pad SAME with dilation). An even span pads one side more, which
    only 'same' says."""
    padding = p["padding"]
    if padding != "same":
        return padding
    totals = [d * (k - 1) for k, d in zip(p["kernel_size"], p["dilation"])]
    return tuple(t // 2 for t in totals) if all(t % 2 == 0 for t in totals) else padding


def _conv_count(p, ins, out):
    weight = p["out_channels"] * (ins[0][0] // p["groups"]) * prod(p["kernel_size"])
    norms = p["out_channels"] if p["weight_norm"] else 0  # g: one per output channel
    return weight + norms + (p["out_channels"] if p["bias"] else 0)


def _conv_macs(p, ins, out):
    return prod(out) * (ins[0][0] // p["groups"]) * prod(p["kernel_size"])


def _transpose_shape(n: int):
    def infer(p, ins):
        x = ins[0]
        expect_rank(x, n + 1)
        _check_groups(p, x[0])
        one_weight_norm(p)
        out = []
        for i, size in enumerate(x[1:]):
            k, s, pad = p["kernel_size"][i], p["stride"][i], p["padding"][i]
            d, op = p["dilation"][i], p["output_padding"][i]
            if op >= max(s, d):
                raise ShapeError(f"output_padding {op} must be smaller than stride or dilation",
                                 param="output_padding")
            length = (size - 1) * s - 2 * pad + d * (k - 1) + op + 1
            if length < 1:
                raise ShapeError(f"padding {pad} leaves no output from a {size}-long input",
                                 param="padding")
            out.append(length)
        return (p["out_channels"],) + tuple(out)
    return infer


def _transpose_build(n: int):
    def build(p, ins):
        return weight_normed(p, getattr(nn, f"ConvTranspose{n}d")(
            ins[0][0], p["out_channels"], p["kernel_size"], stride=p["stride"],
            padding=p["padding"], output_padding=p["output_padding"], groups=p["groups"],
            bias=p["bias"], dilation=p["dilation"]))
    return build


def _transpose_count(p, ins, out):
    weight = ins[0][0] * (p["out_channels"] // p["groups"]) * prod(p["kernel_size"])
    norms = ins[0][0] if p["weight_norm"] else 0  # g: one per input channel, the weight's dim 0
    return weight + norms + (p["out_channels"] if p["bias"] else 0)


def _transpose_macs(p, ins, out):
    return prod(ins[0]) * (p["out_channels"] // p["groups"]) * prod(p["kernel_size"])


_CONV_EXAMPLES = {
    1: (({"out_channels": 8, "kernel_size": 5}, ((3, 31),)),
        ({"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
         ((2, 17),)),
        ({"out_channels": 6, "kernel_size": 3, "padding": "same", "groups": 3}, ((3, 10),)),
        ({"out_channels": 5, "kernel_size": 3, "dilation": 2, "weight_norm": True}, ((4, 12),))),
    2: (({"out_channels": 16, "kernel_size": 3}, ((1, 28, 28),)),
        ({"out_channels": 8, "kernel_size": [3, 5], "stride": 2, "padding": [1, 2],
          "bias": False}, ((3, 15, 17),)),
        ({"out_channels": 6, "kernel_size": 3, "padding": "same", "groups": 6},
         ((6, 9, 7),)),
        ({"out_channels": 5, "kernel_size": 4, "stride": 2, "spectral_norm": True},
         ((3, 10, 10),)),
        ({"out_channels": 4, "kernel_size": 3, "dilation": 2, "padding": "valid"},
         ((2, 11, 12),))),
    3: (({"out_channels": 4, "kernel_size": 3, "padding": 1}, ((2, 5, 6, 7),)),
        ({"out_channels": 2, "kernel_size": [1, 3, 3], "stride": 2}, ((1, 4, 9, 9),))),
}
_TRANSPOSE_EXAMPLES = {
    1: (({"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, ((8, 13),)),
        ({"out_channels": 3, "kernel_size": 4, "stride": 2, "weight_norm": True}, ((6, 5),))),
    2: (({"out_channels": 8, "kernel_size": 2, "stride": 2}, ((16, 7, 7),)),
        ({"out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
         ((4, 5, 6),)),
        ({"out_channels": 3, "kernel_size": 4, "stride": 2, "spectral_norm": True},
         ((5, 4, 4),))),
}

for _n in (1, 2, 3):
    register(BlockSpec(
        f"Conv{_n}d", "Convolution",
        f"{_n}-D convolution over a {RANK_NAMES[_n + 1]} input ({_SPATIAL[_n]} maps). It has "
        f"no activation of its own: Keras' Conv{_n}D(32, 3, activation='relu') is Conv{_n}d "
        f"then a ReLU block.",
        params=_conv_params(_n, transpose=False),
        inferred={"in_channels": lambda ins: ins[0][0]},
        infer=_conv_shape(_n), build=_conv_build(_n), count_params=_conv_count,
        macs=_conv_macs, key_params=("out_channels", "kernel_size", "stride"),
        doc_url=TORCH_DOCS.format(f"Conv{_n}d"), examples=_CONV_EXAMPLES[_n],
    ))

for _n in (1, 2):
    register(BlockSpec(
        f"ConvTranspose{_n}d", "Convolution",
        f"{_n}-D transposed convolution (learned upsampling) over a {RANK_NAMES[_n + 1]} input.",
        params=_conv_params(_n, transpose=True),
        inferred={"in_channels": lambda ins: ins[0][0]},
        infer=_transpose_shape(_n), build=_transpose_build(_n), count_params=_transpose_count,
        macs=_transpose_macs, key_params=("out_channels", "kernel_size", "stride"),
        doc_url=TORCH_DOCS.format(f"ConvTranspose{_n}d"), examples=_TRANSPOSE_EXAMPLES[_n],
    ))
