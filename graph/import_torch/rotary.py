"""Rotary position embeddings (RoPE), told where an import meets them.

LLaMA, GPT-NeoX and most models since rotate the queries and keys by their position::

    inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))   # or a buffer
    freqs = torch.outer(torch.arange(t).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    q = q * emb.cos() + rotate_half(q) * emb.sin()

The cos and sin of the positions multiply the values: no block does that (a position table
is added to the tokens, PositionalEmbedding), so the import stops at the first ``torch.arange``
of it. :func:`rotary_use` finds the product it leads to, so that the refusal says it is RoPE,
where the rotation is, and what imports instead.
"""

from __future__ import annotations

import operator
from pathlib import Path

import torch
from torch import fx

from .rewriting import calls
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
