"""Dense blocks: Linear and Identity."""

from ..params import Param
from ..registry import BlockSpec, register
from .common import (SPECTRAL_NORM, TORCH_DOCS, WEIGHT_NORM, expect_min_rank, one_weight_norm,
                     prod, weight_normed)
from .common import nn  # imported when a block is built


def _linear_shape(p, ins):
    expect_min_rank(ins[0], 1, "[F]")
    one_weight_norm(p)
    return ins[0][:-1] + (p["out_features"],)


register(BlockSpec(
    "Linear", "Dense", "Fully connected layer: y = x Wᵀ + b over the last dimension. It has "
    "no activation of its own: Keras' Dense(64, activation='relu') is Linear then a ReLU block.",
    params=(
        Param("out_features", "int", 10, "Size of each output sample.", min=1),
        Param("bias", "bool", True, "Learn an additive bias."),
        WEIGHT_NORM,
        SPECTRAL_NORM,
        Param("in_features", "int", None, "Size of each input sample (inferred).", min=1,
              inferred=True),
    ),
    inferred={"in_features": lambda ins: ins[0][-1]},
    infer=_linear_shape,
    build=lambda p, ins: weight_normed(p, nn.Linear(ins[0][-1], p["out_features"],
                                                    bias=p["bias"])),
    count_params=lambda p, ins, out: (ins[0][-1] + p["bias"] + p["weight_norm"])
    * p["out_features"],
    macs=lambda p, ins, out: prod(ins[0]) * p["out_features"],
    key_params=("out_features",), doc_url=TORCH_DOCS.format("Linear"),
    examples=(({"out_features": 7}, ((13,),)), ({"out_features": 4, "bias": False}, ((5, 9),)),
              ({"out_features": 3}, ((2, 3, 5),)), ({"out_features": 6, "weight_norm": True},
                                                    ((5,),)),
              ({"out_features": 5, "spectral_norm": True}, ((7,),))),
))

register(BlockSpec(
    "Identity", "Dense", "Passes its input through unchanged (a placeholder or a skip).",
    infer=lambda p, ins: ins[0], build=lambda p, ins: nn.Identity(),
    input_dtype="any", output_dtype="same", doc_url=TORCH_DOCS.format("Identity"),
    examples=(({}, ((3, 5, 5),)), ({}, ((7,),))),
))
