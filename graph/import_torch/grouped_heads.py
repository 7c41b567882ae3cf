"""Grouped-query attention whose key and value heads are repeated by hand, as LLaMA's
``repeat_kv`` (and transformers' of LLaMA and Mistral) writes it::

    x[:, :, :, None, :].expand(bs, slen, n_kv_heads, n_rep, head_dim)
                       .reshape(bs, slen, n_kv_heads * n_rep, head_dim)

then attention over the repeated heads (``F.scaled_dot_product_attention``, or the scores
written out, which :mod:`.masked_scores` and :mod:`.causal_attention` have made one). Each
repetition is ``x.repeat_interleave(n_rep, dim)``, and is also read where it is written so
(the reference code of Mistral and others) or as ``index_select`` of the heads (LayerLoom's own
ONNX export of the block, read back); :func:`unrepeat_heads` gives the attention
the heads before it with ``enable_gqa=True`` (the ScaledDotProductAttention block's
``enable_gqa``), where the values on the sample show the repetition and the same result.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from .attention_masks import padded_attention
from .rewriting import calls, erase_unused, settled

_ATTENTION = (F.scaled_dot_product_attention, padded_attention)


def unrepeat_heads(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Give each attention whose key and value are heads repeated by hand the heads before
    the repetition, with ``enable_gqa=True``; whether anything was rewritten."""
    changed = False
    for node in list(gm.graph.nodes):
        if node._erased or not (node.op == "call_function" and node.target in _ATTENTION) \
                or len(node.args) < 3 or node.kwargs.get("enable_gqa"):
            continue
        found = [_repeated(node.args[i], values) for i in (1, 2)]
        if None in found or found[0][2] != found[1][2]:
            continue
        with gm.graph.inserting_before(node):
            heads = [gm.graph.call_method("transpose", (source, *turn.args[1:]))
                     if turn is not None else source for source, turn, _ in found]
        args = (node.args[0], *heads, *node.args[3:])
        kwargs = {**node.kwargs, "enable_gqa": True}
        try:
            got = node.target(*[values.get(a, a) if isinstance(a, fx.Node) else a
                                for a in args[:1]],
                              *[_value(h, values) for h in heads],
                              *[values.get(a, a) if isinstance(a, fx.Node) else a
                                for a in args[3:]],
                              **{k: values.get(v, v) if isinstance(v, fx.Node) else v
                                 for k, v in kwargs.items()})
        except (RuntimeError, TypeError, ValueError):
            got = None
        expected = values.get(node)
        if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor) \
                or got.shape != expected.shape \
                or not torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
            for head, (source, _, _) in zip(heads, found):
                if head is not source:
                    gm.graph.erase_node(head)
            continue
        old = [node.args[1], node.args[2]]
        node.args, node.kwargs = args, kwargs
        for value in old:
            erase_unused(gm.graph, value)
        changed = True
    return settled(gm, changed)


def _value(node: fx.Node, values: dict) -> torch.Tensor:
    """The value of a head tensor made here (a transpose of a known value), or a known one."""
    if node in values:
        return values[node]
    return values[node.args[0]].transpose(*node.args[1:])


def _repeat_source(node: fx.Node) -> Any:
    """The tensor that ``node`` repeats, as written by hand (``x[:, :, None].expand(…)
    .reshape(…)``), by ``repeat_interleave`` or by ``index_select`` (an ONNX file's Gather of
    the heads); the values decide whether it is a repetition. None for any other node."""
    if calls(node, ("repeat_interleave", torch.repeat_interleave, "index_select",
                    torch.index_select)) and node.args:
        return node.args[0]
    if not calls(node, ("reshape", "view", torch.reshape)) or not node.args:
        return None
    expanded = node.args[0]
    if not isinstance(expanded, fx.Node) or not calls(expanded, ("expand",)) \
            or not expanded.args or len(expanded.users) != 1:
        return None
    unsqueezed = expanded.args[0]
    if not isinstance(unsqueezed, fx.Node) or not (
            calls(unsqueezed, (operator.getitem,)) or
            calls(unsqueezed, ("unsqueeze", torch.unsqueeze))):
        return None
    return unsqueezed.args[0]


def _repeated(node: Any, values: dict) -> tuple[fx.Node, fx.Node | None, int] | None:
    """``(the tensor before the repetition, the transpose after it or None, the repeat)`` of
    heads repeated by hand along the dimension the attention's heads are (-3 after the
    transpose), or None."""
    if not isinstance(node, fx.Node):
        return None
    turn, current = None, node
    if calls(current, ("transpose", torch.transpose)) and len(current.args) == 3:
        turn, current = current, current.args[0]
    source = _repeat_source(current)
    if source is None:
        return None
    before, after = values.get(source), values.get(current)
    if not isinstance(before, torch.Tensor) or not isinstance(after, torch.Tensor) \
            or before.dim() != after.dim() or before.dim() < 3:
        return None
    moved = [i for i in range(before.dim()) if before.shape[i] != after.shape[i]]
    if len(moved) != 1 or after.shape[moved[0]] % before.shape[moved[0]]:
        return None
    dim, repeat = moved[0], after.shape[moved[0]] // before.shape[moved[0]]
    if not torch.equal(after, before.repeat_interleave(repeat, dim=dim)):
        return None
    heads = dim
    if turn is not None:  # the heads' dimension once transposed
        a, b = (d % before.dim() for d in turn.args[1:] if isinstance(d, int)) \
            if all(isinstance(d, int) for d in turn.args[1:]) else (None, None)
        if a is None:
            return None
        heads = b if dim == a else a if dim == b else dim
    if heads != before.dim() - 3:
        return None
    return source, turn, repeat
