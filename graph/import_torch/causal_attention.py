"""Causal attention written out with a mask, as transformers' GPT-2 (eager attention) and
nanoGPT (without flash) write it::

    att = q @ k.transpose(-1, -2) / torch.full([], v.size(-1) ** 0.5, ...)   # or * 1/√d
    mask = self.bias[:, :, k_len - q_len:k_len, :k_len]                       # a tril buffer
    att = torch.where(mask, att, torch.finfo(att.dtype).min)  # or att.masked_fill(m == 0, -inf)
    att = self.attn_dropout(F.softmax(att, dim=-1))
    y = att @ v

is ``F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=s)`` (one
ScaledDotProductAttention block, with the dropout's rate). :func:`fuse_causal_masks` rewrites
the traced graph so. The rewrite is made only where the values on the sample say so: the
positions kept are exactly the causal ones (each step sees itself and those before it, over
as many keys as queries), the fill is at most -1e4 (nothing kept of a filled position after
the softmax), and the block's output equals the written-out one; and where the mask is causal
at any length: a triangular buffer or a triangle of ones made in forward, sliced, compared or
negated (a band of a sliding window is causal only while the sequence is shorter than it). Any
other mask is left as it is, and refused where it was.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .rewriting import calls, erase_unused, settled

DROPOUT = "layerloom_attention_dropout"  # node meta: the rate of the dropout folded in

_MATMULS = (operator.matmul, torch.matmul, "matmul")
_SOFTMAX = (F.softmax, torch.softmax, "softmax")
_PASSES = ("to", "type", "type_as", "float", "contiguous")
_WHERE = (torch.where, "where")
_FILL = (torch.masked_fill, "masked_fill")
_FILLED = -1e4  # a fill at most this: e^(fill - max) is 0 in float32 beside a kept score


def fuse_causal_masks(gm: fx.GraphModule, values: dict[fx.Node, Any],
                      model: nn.Module) -> bool:
    """Rewrite each causal attention written out with a mask (see the module's text) to
    ``F.scaled_dot_product_attention(..., is_causal=True)``; ``values`` are the nodes'
    values on the sample. Whether anything was rewritten."""
    changed = False
    for node in list(gm.graph.nodes):
        if node._erased or not calls(node, _WHERE + _FILL):
            continue
        found = _causal_attention(node, values, model)
        if found is None:
            continue
        q, k, v, scale, rate, last = found
        with gm.graph.inserting_before(last):
            fused = gm.graph.call_function(F.scaled_dot_product_attention, (q, k, v),
                                           {"is_causal": True, "scale": scale})
        put_in_place(gm, fused, last, last, rate)
        changed = True
    return settled(gm, changed)


def put_in_place(gm: fx.GraphModule, fused: fx.Node, last: fx.Node, line_of: fx.Node,
                 rate: float) -> None:
    """``fused``, an attention call, in place of ``last``, the written-out attention's final
    product (erased with what only it used): ``line_of``'s line and module, and the rate of
    the dropout folded in."""
    fused.meta.update({k: v for k, v in line_of.meta.items() if k not in ("val", "tensor_meta")})
    if rate:
        fused.meta[DROPOUT] = rate
    last.replace_all_uses_with(fused)
    erase_unused(gm.graph, last)


def _causal_attention(masked: fx.Node, values: dict, model: nn.Module):
    """``(q, k, v, scale, dropout rate, the final product)`` of the causal attention whose
    masking is ``masked``, or None."""
    scores, keep, fill = _mask_parts(masked)
    if scores is None:
        return None
    score_value, kept = values.get(scores), values.get(keep)
    fill_value = values.get(fill, fill) if isinstance(fill, fx.Node) else fill
    if not isinstance(score_value, torch.Tensor) or score_value.dim() < 2 \
            or not isinstance(kept, torch.Tensor) or kept.dtype != torch.bool:
        return None
    if calls(masked, _FILL):
        kept = ~kept
    fill_value = float(fill_value) if isinstance(fill_value, (int, float)) or (
        isinstance(fill_value, torch.Tensor) and fill_value.numel() == 1) else None
    if fill_value is None or not fill_value <= _FILLED:
        return None
    steps, keys = score_value.shape[-2:]
    if steps != keys:
        return None
    causal = torch.ones(steps, keys, dtype=torch.bool).tril()
    try:
        if not torch.equal(torch.broadcast_to(kept, score_value.shape),
                           causal.expand(score_value.shape)):
            return None
    except RuntimeError:  # shapes that do not broadcast
        return None
    if not _causal_everywhere(keep, values):
        return None
    product = _scaled_product(scores, values)
    if product is None:
        return None
    q, k, scale = product
    rest = _weighted_values(masked, values, model)
    if rest is None:
        return None
    rate, current, v = rest
    got = F.scaled_dot_product_attention(values[q], values[k], values[v], is_causal=True,
                                         scale=scale)
    expected = values.get(current)
    if not isinstance(expected, torch.Tensor) or got.shape != expected.shape \
            or not torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
        return None
    return q, k, v, scale, rate, current


_MASK_STEPS = ("eq", "ne", "logical_not", "bool", "to", "float", "type", "type_as", "view",
               "unsqueeze", "expand", "expand_as", "contiguous")
_MASK_FUNCTIONS = (operator.eq, operator.ne, operator.getitem, operator.invert, torch.eq,
                   torch.ne, torch.logical_not, torch.unsqueeze)
# a triangle of ones and numbers, value by value, is a triangle at every length too:
# (1 - tril) * -1e4, 1e4 * (1 - tril), the mask subtracted from the scores
_MASK_ARITHMETIC = (operator.sub, operator.mul, operator.add, operator.neg, operator.truediv,
                    torch.sub, torch.mul, torch.add, torch.neg, "sub", "mul", "add", "neg",
                    "rsub", torch.rsub)
_TRIANGLES = (torch.tril, torch.triu, "tril", "triu")
_FILLS = (torch.ones, torch.ones_like, torch.full, torch.full_like, "new_ones", "new_full")


def _weighted_values(masked: fx.Node, values: dict, model: nn.Module):
    """``(dropout rate, the product, v)`` of the written-out attention after its masked
    scores ``masked``: a softmax over the last axis (LLaMA's ``scores.float()`` may come
    first), dropout modules or casts, then the product with ``v``; None for anything else."""
    after = _single_user(masked)
    while after is not None and calls(after, _PASSES):  # scores.float() before the softmax
        after = _single_user(after)
    if after is None or not _softmax_last(after, values):
        return None
    rate, current = 0.0, _single_user(after)
    while current is not None and not calls(current, _MATMULS):
        if calls(current, _PASSES):
            pass
        elif current.op == "call_module" and isinstance(
                model.get_submodule(str(current.target)), nn.Dropout):
            rate = float(model.get_submodule(str(current.target)).p)
        else:
            return None
        current = _single_user(current)
    if current is None or len(current.args) != 2 or current.kwargs \
            or not isinstance(current.args[1], fx.Node):
        return None
    v = current.args[1]
    return rate, current, v


def _causal_everywhere(mask: Any, values: dict) -> bool:
    """The mask is causal at every length, not only the traced one: it is a triangle of ones
    made in forward (``torch.tril(torch.ones(T, T))``, ``torch.triu(..., diagonal=1)``) or a
    triangular buffer (GPT-2's ``bias``, nanoGPT's), sliced, compared with a number or negated
    (a band mask, ``tril(...) & triu(..., -w)``, would be causal only up to ``w`` steps)."""
    todo, seen = [mask], set()
    while todo:
        node = todo.pop()
        if not isinstance(node, fx.Node) or node in seen:
            continue
        seen.add(node)
        if node.op == "get_attr":
            if not _triangular(values.get(node)):
                return False
            continue
        if calls(node, _TRIANGLES):
            bound = dict(zip(("input", "diagonal"), node.args), **node.kwargs)
            tri = "tril" if node.target in (torch.tril, "tril") else "triu"
            if bound.get("diagonal", 0) != (0 if tri == "tril" else 1) \
                    or not _ones(bound.get("input")):
                return False
            continue
        ok = node.op == "call_method" and node.target in _MASK_STEPS or \
            node.op == "call_function" and any(node.target is f for f in _MASK_FUNCTIONS)
        if calls(node, _MASK_ARITHMETIC):  # with numbers alone, the tensor on either side
            ok = len(node.all_input_nodes) == 1 and not node.kwargs
            data = node.all_input_nodes[0] if ok else None
        elif ok:
            data = node.args[0] if node.args else None  # the rest: numbers, sizes, slices
        if not ok:
            return False
        if isinstance(data, fx.Node):
            todo.append(data)
        for other in node.all_input_nodes:
            if other is not data and isinstance(values.get(other), torch.Tensor) \
                    and values[other].numel() > 1:
                return False  # a mask combined with another tensor
    return True


def _ones(node: Any) -> bool:
    """``node`` makes a tensor of ones (``torch.ones(T, T)``, ``ones_like``, a full of 1)."""
    if not isinstance(node, fx.Node) or not calls(node, _FILLS):
        return False
    if node.target in (torch.full, torch.full_like, "new_full"):
        fill = node.args[1] if len(node.args) > 1 else node.kwargs.get("fill_value")
        return fill in (1, 1.0, True)
    return True


def _triangular(value: Any) -> bool:
    """A square table over its last two dimensions (equal along the others) that is the
    causal triangle, ones on and below the diagonal, or its complement."""
    if not isinstance(value, torch.Tensor) or value.dim() < 2 \
            or value.shape[-1] != value.shape[-2]:
        return False
    size = value.shape[-1]
    table = value.reshape(-1, size, size) != 0
    lower = torch.ones(size, size, dtype=torch.bool).tril()
    return bool((table == lower).all()) or bool((table == ~lower).all())


def _mask_parts(masked: fx.Node) -> tuple[Any, Any, Any]:
    """``(scores, mask, fill)`` of ``torch.where(mask, scores, fill)`` or
    ``scores.masked_fill(mask, fill)``; Nones where ``masked`` is neither."""
    args = list(masked.args)
    if calls(masked, _WHERE):
        bound = dict(zip(("condition", "input", "other"), args), **masked.kwargs)
        if set(bound) != {"condition", "input", "other"}:
            return None, None, None
        scores = _unpassed(bound["input"])
        return scores, bound["condition"], bound["other"]
    bound = dict(zip(("input", "mask", "value"), args), **masked.kwargs)
    if set(bound) != {"input", "mask", "value"}:
        return None, None, None
    return _unpassed(bound["input"]), bound["mask"], bound["value"]


def _unpassed(node: Any) -> Any:
    """``node`` without the dtype casts around it (GPT-2's ``att.to(att.dtype)``)."""
    while isinstance(node, fx.Node) and calls(node, _PASSES) and node.args:
        node = node.args[0]
    return node


def _scaled_product(scores: Any, values: dict) -> tuple[fx.Node, fx.Node, float] | None:
    """``(q, k, scale)`` of ``q @ k.transpose(-2, -1)`` times or divided by a number (a
    constant, or a 0-dim tensor made from the sizes), or None."""
    if not isinstance(scores, fx.Node):
        return None
    scale = 1.0
    if calls(scores, (operator.mul, torch.mul, "mul", operator.truediv, torch.div, "div",
                       torch.true_divide)) and len(scores.args) == 2 and not scores.kwargs:
        left, right = scores.args
        divides = calls(scores, (operator.truediv, torch.div, "div", torch.true_divide))
        if not divides and not calls(left, _MATMULS):
            left, right = right, left
        number = _number(right, values)
        if number is None or not calls(left, _MATMULS) or number == 0:
            return None
        scale = 1.0 / number if divides else number
        scores = left
    if not calls(scores, _MATMULS) or len(scores.args) != 2 or scores.kwargs:
        return None
    q, turned = scores.args
    if not isinstance(q, fx.Node) or not isinstance(turned, fx.Node):
        return None
    k = _swapped_last(turned, values)
    if k is None or not math.isfinite(scale) or scale <= 0:
        return None
    return q, k, float(scale)


def _number(arg: Any, values: dict) -> float | None:
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return float(arg)
    value = values.get(arg) if isinstance(arg, fx.Node) else None
    if value is None or _reads_data(arg, values):  # the length: fixed at the traced one
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.dim() == 0 and value.is_floating_point():
        return float(value)
    return None


def _reads_data(node: fx.Node, values: dict) -> bool:
    """``node`` is computed from other than numbers and the last size of tensors (the head's
    width, as in ``v.size(-1) ** 0.5``): a tensor's values, or a size that changes with the
    input (the length), which would fix the scale at the traced one."""
    if node.op == "placeholder" or node.op == "get_attr" or node.op == "call_module":
        return True
    if node.op == "call_method" and node.target == "size":
        return not _last_dim(node.args[0], node.args[1] if len(node.args) > 1
                             else node.kwargs.get("dim"), values)
    if node.op == "call_function" and node.target is operator.getitem \
            and isinstance(node.args[0], fx.Node) and _shape_read(node.args[0]):
        source = node.args[0].args[0]
        return not _last_dim(source, node.args[1], values)
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] not in ("dtype", "device")
    return any(_reads_data(n, values) for n in node.all_input_nodes)


def _shape_read(node: fx.Node) -> bool:
    """``t.shape`` or ``t.size()``."""
    return node.op == "call_function" and node.target is getattr and node.args[1] == "shape" \
        or node.op == "call_method" and node.target == "size" and len(node.args) == 1 \
        and not node.kwargs


def _last_dim(tensor: Any, dim: Any, values: dict) -> bool:
    """``dim`` is the last dimension of ``tensor`` (-1, or its rank less one)."""
    value = values.get(tensor) if isinstance(tensor, fx.Node) else None
    rank = value.dim() if isinstance(value, torch.Tensor) else None
    return type(dim) is int and (dim == -1 or rank is not None and dim == rank - 1)


def _swapped_last(node: fx.Node, values: dict) -> fx.Node | None:
    """``k`` of ``k.transpose(-2, -1)`` (either order, or the last two of a permute)."""
    if not node.args or not isinstance(node.args[0], fx.Node):
        return None
    source = node.args[0]
    value = values.get(source)
    if not isinstance(value, torch.Tensor) or value.dim() < 2:
        return None
    rank = value.dim()
    if calls(node, ("transpose", torch.transpose)) and len(node.args) == 3:
        dims = sorted(d % rank for d in node.args[1:] if isinstance(d, int))
        return source if dims == [rank - 2, rank - 1] else None
    if calls(node, ("permute", torch.permute)):
        dims = node.args[1:] if len(node.args) > 2 else node.args[1]
        dims = [d % rank for d in dims] if all(isinstance(d, int) for d in dims) else None
        return source if dims == [*range(rank - 2), rank - 1, rank - 2] else None
    return None


def _softmax_last(node: fx.Node, values: dict) -> bool:
    """``node`` is a softmax over the last dimension."""
    if not calls(node, _SOFTMAX) or not node.args:
        return False
    bound = dict(zip(("input", "dim"), node.args), **node.kwargs)
    dim, value = bound.get("dim"), values.get(node)
    if set(bound) - {"input", "dim", "dtype", "_stacklevel"} or bound.get("dtype") is not None:
        return False
    return isinstance(dim, int) and isinstance(value, torch.Tensor) \
        and dim % value.dim() == value.dim() - 1


def _single_user(node: fx.Node) -> fx.Node | None:
    users = list(node.users)
    return users[0] if len(users) == 1 else None


