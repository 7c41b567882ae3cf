"""Rotary position embeddings (RoPE), told where an import meets them.

LLaMA, GPT-NeoX and most models since rotate the queries and keys by their position::

    inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))   # or a buffer
    freqs = torch.outer(torch.arange(t).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    q = q * emb.cos() + rotate_half(q) * emb.sin()

Where the values say it is that rotation (:func:`fuse_rotary`: ``x * cos + r * sin`` with
``r`` made of ``x`` alone, the cos and sin of the sizes alone, the sum the RotaryEmbedding
block's on ``x`` of some base, the steps on the last dimension but one), it is that block. Any
other use of the positions' cos and sin (the complex product of Meta's LLaMA, a scaled
rotation) stops at the first ``torch.arange``: :func:`rotary_use` finds the product it leads
to, so that the refusal says it is RoPE, where the rotation is, and what imports instead.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import torch
from torch import fx

from ..modules import RotaryEmbedding
from .functions import FUNCTION_RULES, Context, Mapped, args
from .rewriting import calls, settled
from .trace import user_frames

_COS_SIN = (torch.cos, torch.sin, "cos", "sin")
_PRODUCTS = (operator.mul, operator.imul, torch.mul, "mul", "mul_")
_DEPTH = 16  # calls between the arange and its cos or sin (float, outer, cat, view…) at most


def rotary_use(node: fx.Node) -> str | None:
    """Where the ``torch.arange`` at ``node`` becomes a rotation of values by position: the
    line of the first product of its cos or sin with a value that does not come from it
    (``model.py:42``, or ``''`` where the trace kept no line); None where it does not."""
    reached, todo = {node}, [(node, 0)]
    while todo:
        current, depth = todo.pop(0)
        for user in current.users:
            if user in reached or depth >= _DEPTH:
                continue
            reached.add(user)
            if calls(user, _PRODUCTS) and any(
                    isinstance(a, fx.Node) and a not in reached and _trig(a, reached)
                    is None for a in user.args) and _trig(user, reached) is not None:
                frames = user_frames(user)
                return f"{Path(frames[-1][0]).name}:{frames[-1][1]}" if frames else ""
            todo.append((user, depth + 1))
    return None


def _trig(node: fx.Node, reached: set) -> fx.Node | None:
    """A cos or sin among ``node``'s arguments (or ``node`` itself) that the arange reached."""
    for arg in (node, *node.args):
        if isinstance(arg, fx.Node) and arg in reached and calls(arg, _COS_SIN):
            return arg
    return None


_ADDS = (operator.add, torch.add, "add")


def rotary_embedding(x: torch.Tensor, base: float) -> torch.Tensor:
    """What the RotaryEmbedding block computes: the traced graph's call for a rotation found
    by :func:`fuse_rotary`, which the import maps to the block."""
    return RotaryEmbedding(x.shape[-1], base).to(x.device)(x)


def fuse_rotary(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each ``x * cos + rotate_half(x) * sin`` that is the RotaryEmbedding block's
    rotation of ``x`` (see the module's text) by :func:`rotary_embedding`. ``values``: the
    nodes' values on the sample. Whether any was."""
    placeholders = {n for n in gm.graph.nodes if n.op == "placeholder"}
    changed = False
    for node in list(gm.graph.nodes):
        if node._erased or not calls(node, _ADDS) or len(node.args) != 2 or node.kwargs:
            continue
        found = _rotation(node, values, placeholders)
        if found is None:
            continue
        x, base = found
        with gm.graph.inserting_before(node):
            rotated = gm.graph.call_function(rotary_embedding, (x, base))
        rotated.meta.update({k: v for k, v in node.meta.items() if k != "val"})
        node.replace_all_uses_with(rotated)
        gm.graph.erase_node(node)
        changed = True
    if changed:
        gm.graph.eliminate_dead_code()
    return settled(gm, changed)


def _rotation(node: fx.Node, values: dict, placeholders: set) -> tuple[fx.Node, float] | None:
    """``(x, base)`` where ``node`` adds ``x * cos`` and ``r * sin`` as described, else None."""
    parts = []
    for product in node.args:
        if not (isinstance(product, fx.Node) and calls(product, _PRODUCTS[:3] + ("mul",))
                and len(product.args) == 2 and not product.kwargs):
            return None
        data = [a for a in product.args if _from_values(a, placeholders, None)]
        if len(data) != 1:
            return None
        angle = next(a for a in product.args if a is not data[0])
        parts.append((data[0], angle))
    for (x, cos), (r, _) in (parts, parts[::-1]):
        value = values.get(x)
        if r is x or _from_values(r, placeholders, x) or not isinstance(value, torch.Tensor) \
                or not value.is_floating_point() or value.dim() < 3 or value.shape[-1] % 2 \
                or value.shape[-1] < 4 or value.shape[-2] < 2:
            continue
        base = _base(values.get(cos), value.shape)
        if base is None:
            continue
        expected = values.get(node)
        got = rotary_embedding(value, base)
        if isinstance(expected, torch.Tensor) and got.shape == expected.shape \
                and torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
            return x, base
    return None


def _from_values(node: Any, placeholders: set, barrier: fx.Node | None) -> bool:
    """``node`` is computed from an input's values (not its sizes alone); with ``barrier``,
    other than through ``barrier``."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, fx.Node) or current in seen or current is barrier:
            continue
        if current in placeholders:
            return True
        seen.add(current)
        if current.op == "call_method" and current.target in ("size", "dim") \
                or current.op == "call_function" and current.target is getattr \
                and current.args[1] in ("shape", "device", "dtype"):
            continue
        todo.extend(current.all_input_nodes)
    return False


def _base(cos: Any, shape: torch.Size) -> float | None:
    """The base whose frequencies ``base^(-2i/D)`` give ``cos`` at step 1, else None."""
    if not isinstance(cos, torch.Tensor):
        return None
    try:
        angles = torch.broadcast_to(cos, shape).reshape(-1, *shape[-2:])[0, 1].clamp(-1, 1)
    except RuntimeError:
        return None
    frequency = float(torch.acos(angles[1]))
    if not 0 < frequency < 1:
        return None
    return float(f"{frequency ** (-shape[-1] / 2):.4g}")  # 10000, not 9999.98: checked after


def _rotary_block(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("x", "base"))
    return Mapped("RotaryEmbedding", {"base": a["base"]}, [ctx.tensor(a["x"], "input")])


FUNCTION_RULES[rotary_embedding] = _rotary_block
