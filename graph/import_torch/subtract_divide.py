"""A tensor minus, or divided by, another tensor the model computed: the Subtract and Divide
blocks (``self.a(x) - self.b(x)``, ``x - x.mean(1, keepdim=True)``, ``x / x.norm(...)``), the
left operand on the ``left`` port.

The first rules keep what they map: a number subtracted or divided by is a Rescaling, a fixed
value per channel a Normalize, ``(a + b) / 2`` an average; these rules take only two computed
tensors, which those refuse.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx

from .functions import FUNCTION_RULES, Context, FunctionRule, Mapped, args
from .modules import Unsupported

_SUBTRACTS = (operator.sub, operator.isub, torch.sub, torch.subtract, "sub", "sub_")
_DIVIDES = (operator.truediv, operator.itruediv, torch.div, torch.true_divide, torch.divide,
            "div", "div_", "true_divide")


def _computed(ctx: Context, value: Any) -> bool:
    """A tensor that follows from the inputs (not a number, a parameter or a constant)."""
    return isinstance(value, fx.Node) and isinstance(ctx.value(value), torch.Tensor) \
        and ctx.const(value) is None and ctx.fixed(value) is None


def _two_tensors(block: str, verb: str, first: FunctionRule | None) -> FunctionRule:
    def convert(ctx: Context, node: fx.Node) -> Mapped:
        a = args(node, ("input", "other"), {"alpha": 1, "rounding_mode": None})
        left, right = a["input"], a["other"]
        if not (_computed(ctx, left) and _computed(ctx, right)):
            if first is None:
                raise Unsupported("no LayerLoom block does this")
            return first(ctx, node)
        if a["alpha"] != 1:
            raise Unsupported(f"alpha={a['alpha']} (Subtract takes left - right; scale the "
                              f"right first)")
        if a["rounding_mode"] is not None:
            raise Unsupported(f"rounding_mode={a['rounding_mode']!r} (Divide divides exactly)")
        shapes = [tuple(ctx.value(t).shape) for t in (left, right)]
        if len(shapes[0]) != len(shapes[1]) or shapes[1][0] != shapes[0][0]:
            raise Unsupported(f"it {verb} tensors of shapes {_batched(shapes[0])} and "
                              f"{_batched(shapes[1])}; {block} broadcasts tensors of the same "
                              f"rank, batch first in both (keepdim=True keeps a reduced "
                              f"dimension)")
        if not ctx.value(node).is_floating_point():
            raise Unsupported(f"it {verb} {ctx.value(node).dtype} tensors ({block} takes "
                              f"float tensors)")
        return Mapped(block, {}, [ctx.tensor(left, "input"), ctx.tensor(right, "other")],
                      ports=["left", "right"])
    return convert


def _batched(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(["B"] + [str(d) for d in shape[1:]]) + "]"


for _target in _SUBTRACTS:
    FUNCTION_RULES[_target] = _two_tensors("Subtract", "subtracts",
                                           FUNCTION_RULES.get(_target))
for _target in _DIVIDES:
    FUNCTION_RULES[_target] = _two_tensors("Divide", "divides", FUNCTION_RULES.get(_target))
