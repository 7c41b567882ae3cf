"""Regularisation: dropout of units, of channels, and of whole residual branches."""

from ..params import Param
from ..registry import BlockSpec, register
from .common import TORCH_DOCS, expect_rank
from .common import modules, nn  # imported when a block is built

_P = Param("p", "float", 0.5, "Probability of dropping.", min=0, max=1)

register(BlockSpec(
    "Dropout", "Regularisation", "Zeroes random elements while training (scaled by 1/(1−p)).",
    params=(_P,), infer=lambda p, ins: ins[0], build=lambda p, ins: nn.Dropout(p["p"]),
    key_params=("p",), doc_url=TORCH_DOCS.format("Dropout"),
    examples=(({"p": 0.3}, ((12,),)), ({}, ((3, 4, 4),))),
))


def _dropout2d_shape(p, ins):
    expect_rank(ins[0], 3)
    return ins[0]


register(BlockSpec(
    "Dropout2d", "Regularisation", "Zeroes whole random channels of a [C, H, W] map while "
    "training.",
    params=(_P,), infer=_dropout2d_shape, build=lambda p, ins: nn.Dropout2d(p["p"]),
    key_params=("p",), doc_url=TORCH_DOCS.format("Dropout2d"),
    examples=(({"p": 0.2}, ((6, 5, 5),)),),
))

register(BlockSpec(
    "StochasticDepth", "Regularisation",
    "Drops whole samples of a residual branch while training (torchvision's mode 'row').",
    params=(Param("p", "float", 0.2, "Probability of dropping a sample's branch.", min=0,
                  max=1),),
    infer=lambda p, ins: ins[0], build=lambda p, ins: modules.StochasticDepth(p["p"]),
    key_params=("p",),
    doc_url="https://pytorch.org/vision/stable/generated/torchvision.ops.stochastic_depth.html",
    examples=(({"p": 0.1}, ((4, 3, 3),)), ({}, ((9,),))),
))
