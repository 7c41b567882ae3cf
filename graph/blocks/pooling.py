"""Pooling: max and average windows, and adaptive pooling to a fixed output size."""

from __future__ import annotations


from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import RANK_NAMES, TORCH_DOCS, expect_rank, times, window_out
from .common import nn  # imported when a block is built


def _pool_params(n: int, kind: str) -> tuple[Param, ...]:
    params = [
        Param("kernel_size", "int_tuple", 2, "Size of the pooling window.", min=1, length=n),
        Param("stride", "int_tuple", None, "Stride of the window (default: kernel_size).",
              min=1, length=n, nullable=True),
        Param("padding", "int_tuple", 0, "Implicit padding on each side (at most half the "
              "kernel).", min=0, length=n),
    ]
    if kind == "max":
        params.append(Param("dilation", "int_tuple", 1, "Spacing between window elements.",
                            min=1, length=n))
    params.append(Param("ceil_mode", "bool", False, "Round the output size up, not down."))
    if kind == "avg":
        params.append(Param("count_include_pad", "bool", True, "Count the zero padding in "
                            "each window's average (False: average the real values only)."))
    return tuple(params)


def _pool_shape(n: int):
    def infer(p, ins):
        x = ins[0]
        expect_rank(x, n + 1)
        kernel = p["kernel_size"]
        stride = p["stride"] or kernel
        dilation = p.get("dilation") or (1,) * n
        for k, pad in zip(kernel, p["padding"]):
            if pad > k // 2:
                raise ShapeError(f"padding {pad} must be at most half the kernel size {k}",
                                 param="padding")
        out = []
        for size, k, s, pad, d in zip(x[1:], kernel, stride, p["padding"], dilation):
            length = window_out(size, k, s, pad, d, p["ceil_mode"])
            if length < 1:
                raise ShapeError(f"pooling window {times(kernel)} is larger than its "
                                 f"{times(x[1:])} input; use a smaller kernel_size or pool "
                                 f"earlier", param="kernel_size")
            out.append(length)
        return (x[0],) + tuple(out)
    return infer


def _pool_build(n: int, kind: str):
    cls_name = f"{'Max' if kind == 'max' else 'Avg'}Pool{n}d"

    def build(p, ins):
        kwargs = dict(kernel_size=p["kernel_size"], stride=p["stride"] or p["kernel_size"],
                      padding=p["padding"], ceil_mode=p["ceil_mode"])
        if kind == "max":
            kwargs["dilation"] = p["dilation"]
        elif not p["count_include_pad"]:
            kwargs["count_include_pad"] = False
        return getattr(nn, cls_name)(**kwargs)
    return build


_POOL_EXAMPLES = {
    1: (({"kernel_size": 2}, ((4, 9),)), ({"kernel_size": 3, "stride": 2, "padding": 1,
                                            "ceil_mode": True}, ((3, 10),))),
    2: (({"kernel_size": 2}, ((8, 7, 9),)),
        ({"kernel_size": 3, "stride": 2, "padding": 1}, ((4, 11, 12),)),
        ({"kernel_size": [2, 3], "stride": [1, 2], "ceil_mode": True}, ((2, 5, 8),))),
}

for _kind, _name in (("max", "MaxPool"), ("avg", "AvgPool")):
    for _n in (1, 2):
        register(BlockSpec(
            f"{_name}{_n}d", "Pooling",
            f"{'Maximum' if _kind == 'max' else 'Average'} over sliding windows of a "
            f"{RANK_NAMES[_n + 1]} input.",
            params=_pool_params(_n, _kind), infer=_pool_shape(_n), build=_pool_build(_n, _kind),
            key_params=("kernel_size", "stride"), doc_url=TORCH_DOCS.format(f"{_name}{_n}d"),
            examples=_POOL_EXAMPLES[_n],
        ))


def _adaptive_shape(n: int):
    def infer(p, ins):
        expect_rank(ins[0], n + 1)
        return (ins[0][0],) + tuple(p["output_size"])
    return infer


for _name, _n in (("AdaptiveAvgPool1d", 1), ("AdaptiveAvgPool2d", 2), ("AdaptiveMaxPool1d", 1),
                  ("AdaptiveMaxPool2d", 2)):
    register(BlockSpec(
        _name, "Pooling",
        f"{'Average' if 'Avg' in _name else 'Maximum'} pooling to a fixed output size "
        f"(1 gives global pooling).",
        params=(Param("output_size", "int_tuple", 1, "Target output size.", min=1, length=_n),),
        infer=_adaptive_shape(_n),
        build=(lambda name: lambda p, ins: getattr(nn, name)(
            p["output_size"][0] if len(p["output_size"]) == 1 else p["output_size"]))(_name),
        key_params=("output_size",), doc_url=TORCH_DOCS.format(_name),
        examples=(({"output_size": 1}, ((5,) + (7,) * _n,)),
                  ({"output_size": 3}, ((2,) + (10,) * _n,))),
    ))
