"""Pooling: max and average windows, adaptive pooling to a fixed output size, and reductions
over whole dimensions."""

from __future__ import annotations


from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import (RANK_NAMES, TORCH_DOCS, expect_min_rank, expect_rank, normalize_dim,
                     show, times, window_out)
from .common import modules, nn  # imported when a block is built


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


_REDUCE_OPS = ("mean", "sum", "max", "min")


def _reduce_dims(p, ins) -> list[int]:
    """The reduced dimensions of ``ins[0]`` as non-negative indices (batch not counted)."""
    x = ins[0]
    expect_min_rank(x, 1, "a tensor with at least one dimension after the batch")
    given = p["dim"] if isinstance(p["dim"], tuple) else (p["dim"],)
    dims = [normalize_dim(d, len(x)) for d in given]
    if len(set(dims)) != len(dims):
        raise ShapeError(f"dim {list(given)} names a dimension twice (for a {len(x)}-D input)",
                         param="dim")
    return sorted(dims)


def _reduce_shape(p, ins):
    x, dims = ins[0], _reduce_dims(p, ins)
    if p["keepdim"]:
        return tuple(1 if i in dims else size for i, size in enumerate(x))
    if len(dims) == len(x):
        raise ShapeError(f"it reduces every dimension of {show(x)}, which leaves the batch "
                         f"alone; set keepdim to true (output {show((1,) * len(x))})",
                         param="dim")
    return tuple(size for i, size in enumerate(x) if i not in dims)


register(BlockSpec(
    "Reduce", "Pooling",
    "The mean, sum, maximum or minimum over one or more dimensions of any input, as "
    "x.mean(dim), x.sum(dim), x.amax(dim) and x.amin(dim): a max over the points of "
    "[C, N] (PointNet), a sum over the steps of [L, D] (attention pooling), a mean or max "
    "over the channels of [C, H, W] kept as [1, H, W] (CBAM). The batch is not counted.",
    params=(Param("op", "choice", "mean", "What to compute over the reduced dimensions.",
                  choices=_REDUCE_OPS),
            Param("dim", "int_or_ints", -1, "The dimension reduced, or a list of them (batch "
                  "not counted: 0 is the first after it, -1 the last)."),
            Param("keepdim", "bool", False, "Keep each reduced dimension with size 1 "
                  "([C, H, W] over 0 gives [1, H, W]), so the output broadcasts against "
                  "the input.")),
    infer=_reduce_shape,
    build=lambda p, ins: modules.Reduce(p["op"], [d + 1 for d in _reduce_dims(p, ins)],
                                        p["keepdim"]),
    key_params=("op", "dim"),
    doc_url="https://pytorch.org/docs/stable/torch.html#reduction-ops",
    examples=(({}, ((4, 6),)), ({"op": "max", "dim": 1}, ((16, 9),)),
              ({"op": "sum", "dim": 0}, ((7, 5),)),
              ({"op": "mean", "dim": 0, "keepdim": True}, ((3, 4, 5),)),
              ({"op": "min", "dim": [1, 2]}, ((2, 3, 4),))),
))
