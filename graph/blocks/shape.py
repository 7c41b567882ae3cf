"""Shape blocks: Flatten, Unflatten, Reshape, Permute, Upsample, ResizeTo, ZeroPad2d,
ChannelShuffle."""

from __future__ import annotations

import math


from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, Ports, register
from .common import TORCH_DOCS, batch_dim, expect_min_rank, expect_rank, normalize_dim, prod, show
from .common import modules, nn  # imported when a block is built


def _flatten_shape(p, ins):
    x = ins[0]
    start = normalize_dim(p["start_dim"], len(x), "start_dim")
    end = normalize_dim(p["end_dim"], len(x), "end_dim")
    if start > end:
        raise ShapeError(f"start_dim {p['start_dim']} comes after end_dim {p['end_dim']}",
                         param="start_dim")
    return x[:start] + (prod(x[start:end + 1]),) + x[end + 1:]


register(BlockSpec(
    "Flatten", "Shape", "Flattens dimensions start_dim..end_dim into one (default: all but "
    "the batch).",
    params=(Param("start_dim", "int", 0, "First dimension to flatten (batch not counted)."),
            Param("end_dim", "int", -1, "Last dimension to flatten (-1: the last).")),
    infer=_flatten_shape, input_dtype="any", output_dtype="same",
    build=lambda p, ins: nn.Flatten(batch_dim(p["start_dim"]), batch_dim(p["end_dim"])),
    doc_url=TORCH_DOCS.format("Flatten"),
    examples=(({}, ((3, 5, 7),)), ({"start_dim": 1}, ((4, 3, 5),)), ({}, ((6,),)),
              ({"start_dim": 0, "end_dim": 1}, ((2, 3, 4),))),
))


def _unflatten_shape(p, ins):
    x = ins[0]
    dim = normalize_dim(p["dim"], len(x))
    sizes = list(p["sizes"])
    known = prod(d for d in sizes if d != -1)
    if -1 in sizes:
        if x[dim] % known:
            raise ShapeError(f"sizes {show(sizes)} do not divide dimension {p['dim']} of "
                             f"{show(x)} (size {x[dim]})", param="sizes")
        sizes[sizes.index(-1)] = x[dim] // known
    elif known != x[dim]:
        raise ShapeError(f"sizes {show(sizes)} hold {known} values, but dimension {p['dim']} "
                         f"of {show(x)} has {x[dim]}", param="sizes")
    return x[:dim] + tuple(sizes) + x[dim + 1:]


register(BlockSpec(
    "Unflatten", "Shape",
    "Splits one dimension into several (torch.unflatten, the reverse of Flatten): [L, 16] "
    "with dim -1 and sizes [2, 8] gives [L, 2, 8], as attention splits features into heads. "
    "The other dimensions are left as they come, so it runs at any sequence length or image "
    "size.",
    params=(Param("dim", "int", -1, "Dimension to split (batch not counted; -1 is the last)."),
            Param("sizes", "shape", [2, -1], "The sizes it becomes, their product its size "
                  "(one may be -1, inferred).", extra={"allow_minus_one": True})),
    infer=_unflatten_shape, input_dtype="any", output_dtype="same",
    build=lambda p, ins: nn.Unflatten(batch_dim(p["dim"]), tuple(p["sizes"])),
    key_params=("dim", "sizes"), doc_url=TORCH_DOCS.format("Unflatten"),
    examples=(({}, ((5, 16),)), ({"dim": 0, "sizes": [2, 3]}, ((6, 4, 4),)),
              ({"dim": 1, "sizes": [-1, 1]}, ((3, 7),))),
))


def _reshape_shape(p, ins):
    total, target = prod(ins[0]), list(p["shape"])
    known = prod(d for d in target if d != -1)
    if -1 in target:
        if total % known:
            raise ShapeError(f"cannot reshape {show(ins[0])} ({total} values) to "
                             f"{show(target)}", param="shape")
        target[target.index(-1)] = total // known
    elif known != total:
        raise ShapeError(f"cannot reshape {show(ins[0])} ({total} values) to {show(target)} "
                         f"({known} values)", param="shape")
    return tuple(target)


register(BlockSpec(
    "Reshape", "Shape", "Reshapes each sample (one size may be -1, inferred).",
    params=(Param("shape", "shape", [-1], "Target shape without the batch, e.g. [64, 7, 7].",
                  extra={"allow_minus_one": True}),),
    infer=_reshape_shape, input_dtype="any", output_dtype="same",
    build=lambda p, ins: modules.Reshape(list(_reshape_shape(p, ins))),
    key_params=("shape",),
    doc_url="https://pytorch.org/docs/stable/generated/torch.reshape.html",
    examples=(({"shape": [4, 15]}, ((60,),)), ({"shape": [-1, 3]}, ((2, 3, 4),))),
))


def _permute_shape(p, ins):
    dims = [d % len(ins[0]) if -len(ins[0]) <= d < len(ins[0]) else d for d in p["dims"]]
    if sorted(dims) != list(range(len(ins[0]))):
        raise ShapeError(f"dims {list(p['dims'])} is not a permutation of the {len(ins[0])} "
                         f"dimensions of {show(ins[0])} (batch not counted: use 0 to "
                         f"{len(ins[0]) - 1})", param="dims")
    return tuple(ins[0][d] for d in dims)


register(BlockSpec(
    "Permute", "Shape", "Reorders the dimensions of each sample ([L, D] → [D, L] with [1, 0]).",
    params=(Param("dims", "ints", [1, 0], "New order of the dimensions (batch not counted)."),),
    infer=_permute_shape, input_dtype="any", output_dtype="same",
    build=lambda p, ins: modules.Permute([0] + [d % len(ins[0]) + 1 for d in p["dims"]]),
    key_params=("dims",), doc_url="https://pytorch.org/docs/stable/generated/torch.permute.html",
    examples=(({"dims": [1, 0]}, ((5, 3),)), ({"dims": [2, 0, 1]}, ((3, 4, 6),))),
))

_UPSAMPLE_RANK = {"linear": 2, "bilinear": 3, "bicubic": 3, "trilinear": 4}


def _expect_interpolated(p, x):
    """What Upsample and ResizeTo ask of the input ``x`` they interpolate: a map, of the rank
    its mode takes, and ``align_corners`` only where the mode has corners to align."""
    expect_min_rank(x, 2, "[C, L], [C, H, W] or [C, D, H, W]")
    mode = p["mode"]
    if mode in _UPSAMPLE_RANK:
        expect_rank(x, _UPSAMPLE_RANK[mode])
    if p["align_corners"] and mode not in _UPSAMPLE_RANK:
        raise ShapeError(f"align_corners applies to the linear, bilinear, bicubic and "
                         f"trilinear modes only, not '{mode}' (set it to false, or choose one "
                         f"of those modes)", param="align_corners")


def _upsample_shape(p, ins):
    x = ins[0]
    _expect_interpolated(p, x)
    scales = p["scale_factor"]
    if len(scales) == 1:
        scales = scales * (len(x) - 1)
    if len(scales) != len(x) - 1:
        raise ShapeError(f"scale_factor needs 1 or {len(x) - 1} values for a {show(x)} input",
                         param="scale_factor")
    return (x[0],) + tuple(math.floor(s * f) for s, f in zip(x[1:], scales))


def _upsample_build(p, ins):
    scales = p["scale_factor"]
    scale = scales[0] if len(set(scales)) == 1 else tuple(scales)
    kwargs = {"align_corners": p["align_corners"]} if p["mode"] in _UPSAMPLE_RANK else {}
    return nn.Upsample(scale_factor=scale, mode=p["mode"], **kwargs)


register(BlockSpec(
    "Upsample", "Shape", "Enlarges the spatial dimensions by scale_factor.",
    params=(Param("scale_factor", "float_tuple", 2.0, "Multiplier for each spatial size.",
                  min=0, min_inclusive=False, extra={"one_for_all": True}),
            Param("mode", "choice", "nearest", "Interpolation.",
                  choices=("nearest", "linear", "bilinear", "bicubic", "trilinear")),
            Param("align_corners", "bool", False, "Linear modes only: the corner pixels of the "
                  "input and output line up (U-Net's bilinear upsampling); false: pixel "
                  "centres scale, as nearest does.")),
    infer=_upsample_shape, build=_upsample_build, key_params=("scale_factor", "mode"),
    doc_url=TORCH_DOCS.format("Upsample"),
    examples=(({}, ((3, 5, 7),)), ({"scale_factor": 3, "mode": "linear"}, ((2, 9),)),
              ({"scale_factor": [2, 3], "mode": "bilinear"}, ((4, 5, 6),)),
              ({"mode": "bilinear", "align_corners": True}, ((2, 4, 5),))),
))


def _resize_to_shape(p, ins):
    x, like = ins
    _expect_interpolated(p, x)
    if len(like) != len(x):
        raise ShapeError(f"ResizeTo takes its size from an input of the same rank as the one "
                         f"it resizes, got {show(x)} and {show(like)}", port=1)
    return (x[0],) + tuple(like[1:])


register(BlockSpec(
    "ResizeTo", "Shape",
    "Resizes the spatial dimensions of its input to those of a second input, whatever their "
    "size (F.interpolate(x, size=like.shape[2:])): DeepLab's pooled ASPP branch and its "
    "output brought to the image's size, a decoder brought to its skip connection's size. "
    "The second input gives only its size.",
    params=(Param("mode", "choice", "nearest", "Interpolation.",
                  choices=("nearest", "linear", "bilinear", "bicubic", "trilinear")),
            Param("align_corners", "bool", False, "Linear modes only: the corner pixels of the "
                  "input and output line up; false: pixel centres scale, as nearest does.")),
    ports=Ports("named", names=("input", "like"), min=2, max=2),
    infer=_resize_to_shape,
    build=lambda p, ins: modules.ResizeTo(p["mode"], p["align_corners"]
                                          if p["mode"] in _UPSAMPLE_RANK else None),
    key_params=("mode",),
    doc_url="https://pytorch.org/docs/stable/generated/torch.nn.functional.interpolate.html",
    examples=(({}, ((3, 1, 1), (5, 6, 7))), ({"mode": "bilinear"}, ((2, 4, 5), (8, 9, 11))),
              ({"mode": "linear", "align_corners": True}, ((2, 9), (3, 4)))),
))


def _repeat_to_shape(p, ins):
    x, like = ins
    if len(like) != len(x):
        raise ShapeError(f"RepeatTo takes its size from an input of the same rank as the one "
                         f"it repeats, got {show(x)} and {show(like)}", port=1)
    dim = normalize_dim(p["dim"], len(x))
    if x[dim] != 1:
        raise ShapeError(f"RepeatTo repeats a dimension of size 1, but dim {p['dim']} of "
                         f"{show(x)} has {x[dim]}")
    return x[:dim] + (like[dim],) + x[dim + 1:]


register(BlockSpec(
    "RepeatTo", "Shape",
    "Repeats its input along dim, a dimension of size 1, as many times as a second input is "
    "long there, whatever its size (h.unsqueeze(1).repeat(1, outputs.size(1), 1)): a decoder's "
    "state beside every step of the encoder's outputs, joined with them (Bahdanau's "
    "attention). The second input gives only its size.",
    params=(Param("dim", "int", 0, "The dimension of size 1 to repeat (batch not counted)."),),
    ports=Ports("named", names=("input", "like"), min=2, max=2),
    infer=_repeat_to_shape, build=lambda p, ins: modules.RepeatTo(batch_dim(p["dim"])),
    key_params=("dim",), input_dtype="any", output_dtype="same",
    doc_url="https://pytorch.org/docs/stable/generated/torch.Tensor.expand.html",
    examples=(({}, ((1, 8), (7, 5))), ({"dim": -1}, ((4, 1), (4, 6)))),
))


def _zeropad_shape(p, ins):
    x = ins[0]
    expect_rank(x, (2, 3), "[H, W] or [C, H, W]")
    left, right, top, bottom = _pads(p["padding"])
    return x[:-2] + (x[-2] + top + bottom, x[-1] + left + right)


def _pads(value):
    return tuple(value) * 4 if len(value) == 1 else tuple(value)


register(BlockSpec(
    "ZeroPad2d", "Shape", "Pads the borders of a map with zeros (left, right, top, bottom).",
    params=(Param("padding", "int_tuple", 1, "One size for all sides, or [left, right, top, "
                  "bottom].", min=0, length=4),),
    infer=_zeropad_shape, build=lambda p, ins: nn.ZeroPad2d(_pads(p["padding"])),
    key_params=("padding",), doc_url=TORCH_DOCS.format("ZeroPad2d"),
    examples=(({"padding": 2}, ((3, 5, 5),)), ({"padding": [1, 0, 2, 3]}, ((2, 4, 6),))),
))


def _channel_shuffle_shape(p, ins):
    x = ins[0]
    expect_min_rank(x, 1, "[C, ...] (channels first)")
    groups = p["groups"]
    if x[0] % groups:
        raise ShapeError(f"groups {groups} does not divide the {x[0]} channels of {show(x)} "
                         f"(ChannelShuffle needs C divisible by groups)", param="groups")
    return x


register(BlockSpec(
    "ChannelShuffle", "Shape",
    "Shuffles the channels among the given groups (ShuffleNet's channel shuffle, as "
    "torch.nn.ChannelShuffle): the C channels, viewed as [groups, C / groups], are transposed "
    "and flattened back, so that the next grouped convolution mixes the groups. Any input "
    "[C, ...] ([C] alone: its features are reordered so); the sizes after C are left as they "
    "come, so it runs at any input size.",
    params=(Param("groups", "int", 2, "Groups the channels are shuffled among (must divide C).",
                  min=1),),
    infer=_channel_shuffle_shape, input_dtype="any", output_dtype="same",
    build=lambda p, ins: modules.ChannelShuffle(p["groups"]),
    key_params=("groups",), doc_url=TORCH_DOCS.format("ChannelShuffle"),
    examples=(({"groups": 2}, ((4, 3, 3),)), ({"groups": 3}, ((6, 5),)), ({"groups": 4}, ((8,),)),
              ({"groups": 1}, ((3, 2, 2),))),
))
