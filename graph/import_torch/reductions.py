"""Reductions over dimensions as the Reduce block: ``x.sum(1)``, ``torch.mean(x, dim=1,
keepdim=True)``, ``x.amax(-1)``, ``torch.max(x, 2)[0]``, ``x.min(dim=1).values``.

A reduction that a pooling block already does keeps that block (a mean or max over the steps
of a ``[B, L, D]`` sequence is SequencePool, a mean over an image's map AdaptiveAvgPool2d):
those rules run first and Reduce takes what they refuse. ``max(dim)`` and ``min(dim)`` give
``(values, indices)``; the importer follows the tuple to its ``[0]``/``.values``
(:func:`values_of`) and refuses the indices.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

from .functions import FUNCTION_RULES, Context, FunctionRule, Mapped, args, rule
from .modules import Unsupported, batchless

_WORDS = {"mean": "mean", "sum": "sum", "max": "maximum", "min": "minimum"}


def reduction(ctx: Context, node: fx.Node, op: str, source: Any, dim: Any, keepdim: Any,
              name: str | None = None) -> Mapped:
    """``op`` over ``dim`` (counted with the batch, as the user wrote it) of ``source``: a
    Reduce block, its dims counted without the batch (negatives kept)."""
    x = ctx.tensor(source, "input")
    value = ctx.value(x)
    rank = value.dim()
    dim = fx.node.map_arg(dim, ctx.value)  # x.sum(x.dim() - 1): the number it was
    keepdim = bool(ctx.value(keepdim))
    if dim is None or isinstance(dim, (list, tuple)) and not dim:
        raise Unsupported(f"a {_WORDS[op]} over every dimension includes the batch (give the "
                          f"dimensions after it: dim=1, or dim=(1, 2))")
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    if not all(isinstance(d, int) and not isinstance(d, bool) and -rank <= d < rank
               for d in dims):
        raise Unsupported(f"dim={dim!r} is not a dimension of a {rank}-D tensor")
    if any(d % rank == 0 for d in dims):
        raise Unsupported(f"it reduces the batch dimension (dim={dim!r})")
    if not value.is_floating_point():
        raise Unsupported(f"a {_WORDS[op]} of a {value.dtype} tensor (the Reduce block takes "
                          f"float tensors)")
    if not keepdim and len({d % rank for d in dims}) == rank - 1:
        raise Unsupported(f"it reduces every dimension after the batch of a "
                          f"{_batched(value.shape)} tensor, leaving [B] alone; a LayerLoom tensor "
                          f"keeps a dimension after the batch (keepdim=True keeps "
                          f"[B{', 1' * (rank - 1)}], the Reduce block)")
    kept = [batchless(d) for d in dims]
    return Mapped("Reduce", {"op": op, "dim": kept[0] if len(kept) == 1 else kept,
                             "keepdim": keepdim}, [x], name=name)


def _batched(shape: torch.Size) -> str:
    """``[B, 4, 5]``: a shape with the batch as B, not the sample's size."""
    return "[" + ", ".join(["B"] + [str(d) for d in shape[1:]]) + "]"


@rule("sum", torch.sum)
def _sum(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
    if a.get("dtype") is not None and ctx.value(node).dtype != ctx.value(a["input"]).dtype:
        raise Unsupported(f"dtype={a['dtype']} changes the type of the sum")
    return reduction(ctx, node, "sum", a["input"], a["dim"], a["keepdim"])


@rule("amin", torch.amin)
def _amin(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
    return reduction(ctx, node, "min", a["input"], a["dim"], a["keepdim"])


def _pooled_or_reduced(pooled: FunctionRule, op: str) -> FunctionRule:
    """The rule of ``x.mean(dim)`` or ``x.amax(dim)``: the pooling block the existing rule
    maps it to, or else a Reduce."""
    def convert(ctx: Context, node: fx.Node) -> Mapped:
        try:
            return pooled(ctx, node)
        except Unsupported:
            a = args(node, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
            return reduction(ctx, node, op, a["input"], a["dim"], a["keepdim"])
    return convert


for _target, _op in (("mean", "mean"), (torch.mean, "mean"), ("amax", "max"),
                     (torch.amax, "max")):
    FUNCTION_RULES[_target] = _pooled_or_reduced(FUNCTION_RULES[_target], _op)


@rule("max", torch.max, "min", torch.min)
def _max_without_dim(ctx: Context, node: fx.Node) -> Mapped:
    """``x.max()`` (over every dimension) or ``torch.max(a, b)`` (elementwise); with a dim,
    the (values, indices) pair is followed by the importer (:func:`values_of`)."""
    op = "max" if node.target in ("max", torch.max) else "min"
    other = node.args[1] if len(node.args) > 1 else node.kwargs.get("other")
    if isinstance(ctx.value(other), torch.Tensor):
        raise Unsupported(f"the elementwise {_WORDS[op]} of two tensors (torch.{op}imum) has "
                          f"no block")
    raise Unsupported(f"a {_WORDS[op]} over every dimension includes the batch (give the "
                      f"dimensions after it: x.{op}(dim=1)[0], or x.a{op}(dim=(1, 2)))")


def is_values_and_indices(node: fx.Node) -> bool:
    """``torch.max(x, dim)``, ``x.min(dim=1)``: a reduction giving ``(values, indices)``."""
    return (node.op == "call_method" and node.target in ("max", "min")
            or node.op == "call_function" and node.target in (torch.max, torch.min))


def values_of(ctx: Context, node: fx.Node, name: str) -> Mapped:
    """The block of the values of ``torch.max(x, dim)`` / ``x.min(dim)`` (``node``): a max over
    the steps of a ``[B, L, D]`` sequence is SequencePool, as before; the rest is Reduce."""
    a = args(node, ("input", "dim", "keepdim"), {"keepdim": False})
    op = "max" if node.target in ("max", torch.max) else "min"
    x = ctx.tensor(a["input"], "input")
    rank = ctx.value(x).dim()
    dim, keepdim = ctx.value(a.get("dim")), bool(ctx.value(a["keepdim"]))
    if op == "max" and rank == 3 and dim in (1, -2) and not keepdim:
        return Mapped("SequencePool", {"mode": "max"}, [x])
    return reduction(ctx, node, op, x, dim, keepdim, name=name)
