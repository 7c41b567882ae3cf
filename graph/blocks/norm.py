"""Normalisation: BatchNorm, LayerNorm, RMSNorm, GroupNorm, InstanceNorm, and Normalize (a fixed
mean and std per channel)."""

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import TORCH_DOCS, expect_min_rank, expect_rank, prod, show
from .common import modules, nn  # imported when a block is built

_EPS = Param("eps", "float", 1e-5, "Added to the variance for numerical stability.", min=0,
             min_inclusive=False)
_MOMENTUM = Param("momentum", "float", 0.1, "Running statistics update rate.", min=0, max=1)
_AFFINE = Param("affine", "bool", True, "Learn a per-channel scale and shift.")
_NUM_FEATURES = Param("num_features", "int", None, "Channels (inferred).", min=1, inferred=True)


def _batchnorm(n: int, ranks: tuple[int, ...], expected: str, examples):

    def infer(p, ins):
        expect_rank(ins[0], ranks, expected)
        return ins[0]

    register(BlockSpec(
        f"BatchNorm{n}d", "Normalisation",
        f"Batch normalisation over the channels of a {expected} input.",
        params=(_EPS, _MOMENTUM, _AFFINE, _NUM_FEATURES),
        inferred={"num_features": lambda ins: ins[0][0]}, infer=infer,
        build=lambda p, ins: getattr(nn, f"BatchNorm{n}d")(ins[0][0], eps=p["eps"], momentum=p["momentum"],
                                 affine=p["affine"]),
        count_params=lambda p, ins, out: 2 * ins[0][0] if p["affine"] else 0,
        doc_url=TORCH_DOCS.format(f"BatchNorm{n}d"), examples=examples,
    ))


_batchnorm(1, (1, 2), "[F] or [C, L]", (({}, ((12,),)), ({"affine": False}, ((4, 9),))))
_batchnorm(2, (3,), "[C, H, W]", (({}, ((3, 5, 7),)), ({"eps": 1e-3, "momentum": 0.01},
                                                         ((8, 4, 4),))))


def _layernorm_shape(p, ins):
    expect_min_rank(ins[0], 1, "[F] or [L, D]")
    if p["dims"] > len(ins[0]):
        raise ShapeError(f"dims {p['dims']} is more than the {len(ins[0])} dimensions of "
                         f"{show(ins[0])} (the batch is not counted)", param="dims")
    return ins[0]


def _normalized(p, ins) -> tuple[int, ...]:
    """The trailing sizes normalised together: ``nn.LayerNorm``'s ``normalized_shape``."""
    return tuple(ins[0][-p["dims"]:])


def _layernorm_build(p, ins):
    shape = _normalized(p, ins)  # one size as a number: nn.LayerNorm(64), as people write it
    return nn.LayerNorm(shape[0] if len(shape) == 1 else shape, eps=p["eps"],
                        elementwise_affine=p["elementwise_affine"], bias=p["bias"])


register(BlockSpec(
    "LayerNorm", "Normalisation",
    "Layer normalisation over the last dimension (or the last dims dimensions together).",
    params=(_EPS, Param("elementwise_affine", "bool", True, "Learn a scale per feature."),
            Param("bias", "bool", True, "Learn a shift per feature (with elementwise_affine)."),
            Param("dims", "int", 1, "How many trailing dimensions are normalised together (1: "
                  "the last; 3: all of a [C, H, W] map, as nn.LayerNorm([C, H, W])); the scale "
                  "and shift have one value per element of them.", min=1),
            Param("normalized_shape", "int", None, "Last dimension (inferred).", min=1,
                  inferred=True)),
    inferred={"normalized_shape": lambda ins: ins[0][-1]}, infer=_layernorm_shape,
    build=_layernorm_build,
    count_params=lambda p, ins, out: (prod(_normalized(p, ins)) * (1 + p["bias"])
                                      if p["elementwise_affine"] else 0),
    doc_url=TORCH_DOCS.format("LayerNorm"),
    examples=(({}, ((10,),)), ({"bias": False}, ((7, 16),)), ({}, ((3, 5, 6),)),
              ({"dims": 3}, ((4, 5, 6),)), ({"dims": 2, "bias": False}, ((3, 5, 6),))),
))


def _rmsnorm_shape(p, ins):
    expect_min_rank(ins[0], 1, "[F] or [L, D]")
    return ins[0]


register(BlockSpec(
    "RMSNorm", "Normalisation",
    "Root-mean-square normalisation over the last dimension (T5, LLaMA; nn.RMSNorm): each "
    "feature divided by the root of the mean of the squares plus eps, times a learned scale; "
    "no mean subtracted, no shift.",
    params=(Param("eps", "float", 1e-6, "Added to the mean of the squares for numerical "
                  "stability.", min=0, min_inclusive=False),
            Param("elementwise_affine", "bool", True, "Learn a scale per feature."),
            Param("normalized_shape", "int", None, "Last dimension (inferred).", min=1,
                  inferred=True)),
    inferred={"normalized_shape": lambda ins: ins[0][-1]}, infer=_rmsnorm_shape,
    build=lambda p, ins: modules.RMSNorm(ins[0][-1], p["eps"], p["elementwise_affine"]),
    count_params=lambda p, ins, out: ins[0][-1] if p["elementwise_affine"] else 0,
    doc_url=TORCH_DOCS.format("RMSNorm"),
    examples=(({}, ((10,),)), ({"eps": 1e-5}, ((7, 16),)),
              ({"elementwise_affine": False}, ((3, 5, 6),))),
))


def _groupnorm_shape(p, ins):
    expect_min_rank(ins[0], 1, "[C, ...]")
    if ins[0][0] % p["num_groups"]:
        raise ShapeError(f"{ins[0][0]} channels cannot be split into {p['num_groups']} groups",
                         param="num_groups")
    return ins[0]


register(BlockSpec(
    "GroupNorm", "Normalisation", "Group normalisation: channels split into groups.",
    params=(Param("num_groups", "int", 8, "Number of channel groups (divides the channels).",
                  min=1), _EPS, _AFFINE,
            Param("num_channels", "int", None, "Channels (inferred).", min=1, inferred=True)),
    inferred={"num_channels": lambda ins: ins[0][0]}, infer=_groupnorm_shape,
    build=lambda p, ins: nn.GroupNorm(p["num_groups"], ins[0][0], eps=p["eps"],
                                      affine=p["affine"]),
    count_params=lambda p, ins, out: 2 * ins[0][0] if p["affine"] else 0,
    key_params=("num_groups",), doc_url=TORCH_DOCS.format("GroupNorm"),
    examples=(({"num_groups": 4}, ((8, 5, 5),)), ({"num_groups": 3}, ((6, 11),))),
))


def _instancenorm_shape(p, ins):
    expect_rank(ins[0], 3)
    return ins[0]


register(BlockSpec(
    "InstanceNorm2d", "Normalisation", "Instance normalisation: each channel of each sample.",
    params=(_EPS, _MOMENTUM,
            Param("affine", "bool", False, "Learn a per-channel scale and shift."),
            Param("track_running_stats", "bool", False, "Keep running statistics for eval."),
            _NUM_FEATURES),
    inferred={"num_features": lambda ins: ins[0][0]}, infer=_instancenorm_shape,
    build=lambda p, ins: nn.InstanceNorm2d(ins[0][0], eps=p["eps"], momentum=p["momentum"],
                                           affine=p["affine"],
                                           track_running_stats=p["track_running_stats"]),
    count_params=lambda p, ins, out: 2 * ins[0][0] if p["affine"] else 0,
    doc_url=TORCH_DOCS.format("InstanceNorm2d"),
    examples=(({}, ((3, 6, 5),)), ({"affine": True}, ((4, 7, 7),))),
))


def _normalize_shape(p, ins):
    x = ins[0]
    for name in ("mean", "std"):
        count = len(p[name])
        if count not in (1, x[0]):
            raise ShapeError(f"{name} has {count} values, but the input {show(x)} has {x[0]} "
                             f"channel{'s' if x[0] != 1 else ''} (dimension 0): give one value "
                             f"per channel, or one for all", param=name)
    return x


register(BlockSpec(
    "Normalize", "Normalisation",
    "(x − mean) / std with a fixed mean and std per channel (dimension 0: the C of [C, H, W], "
    "the features of [F]), as torchvision's Normalize: the input normalisation a model was "
    "trained with, ImageNet's by default. Nothing is learned; the values are the params (the "
    "module keeps them as buffers, so exports carry them).",
    params=(Param("mean", "float_tuple", [0.485, 0.456, 0.406], "Subtracted from each channel: "
                  "one value per channel, or one for all."),
            Param("std", "float_tuple", [0.229, 0.224, 0.225], "Each channel is divided by it "
                  "after the mean is subtracted: one value per channel, or one for all.",
                  min=0, min_inclusive=False)),
    infer=_normalize_shape,
    build=lambda p, ins: modules.Normalize(list(p["mean"]), list(p["std"]), len(ins[0]) + 1),
    key_params=("mean", "std"),
    doc_url="https://pytorch.org/vision/stable/generated/torchvision.transforms.Normalize.html",
    examples=(({}, ((3, 5, 5),)), ({"mean": [0.5], "std": [0.25]}, ((1, 4, 4),)),
              ({"mean": [1.0, -2.0], "std": 0.5}, ((2, 7),)), ({"mean": [0.1, 0.2, 0.3, 0.4],
                                                                 "std": [1, 2, 3, 4]}, ((4,),))),
))

