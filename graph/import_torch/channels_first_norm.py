"""A LayerNorm over the channels written out by hand, as ConvNeXt's ``LayerNorm`` does with
``data_format="channels_first"`` on a ``[B, C, H, W]`` map::

    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + self.eps)
    x = self.weight[:, None, None] * x + self.bias[:, None, None]

is ``F.layer_norm`` over the channels at every position (the variance without Bessel's
correction, eps inside the root). :func:`fuse_channels_first_norms` rewrites the traced graph
to the form timm and torchvision write, which imports as one LayerNorm2d block with the
module's weight and bias::

    x = F.layer_norm(x.permute(0, 2, 3, 1), (C,), self.weight, self.bias, self.eps)
    x = x.permute(0, 3, 1, 2)

(a ``[B, C, L]`` input: ``permute(0, 2, 1)`` both ways, Permute, LayerNorm and Permute blocks).
Anything that differs (eps outside the root, ``x.var(1)``, a mean over another dimension, a
weight that is not one value per channel) is left as it is, and refused where it was.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .rewriting import calls, erase_unused

_MEANS = ("mean", torch.mean)
_SUBS = (operator.sub, torch.sub, "sub")
_DIVS = (operator.truediv, torch.div, torch.true_divide, "div")
_ROOTS = (torch.sqrt, "sqrt")
_ADDS = (operator.add, torch.add, "add")
_MULS = (operator.mul, torch.mul, "mul")
_VIEWS = ("view", "reshape", "unsqueeze")  # a [C] parameter made to broadcast: [C, 1, 1]


def fuse_channels_first_norms(gm: fx.GraphModule, values: dict[fx.Node, Any],
                              model: nn.Module) -> bool:
    """Rewrite each hand-written channels-first LayerNorm of ``gm`` (see the module's text) to
    ``permute``, ``F.layer_norm``, ``permute``; ``values`` are the nodes' values on the sample
    (as :func:`.trace.propagate` gives them). Whether anything was rewritten (the values are
    then those of the graph as it was)."""
    learned = dict(model.named_parameters(remove_duplicate=False))
    changed = False
    for node in list(gm.graph.nodes):
        if node._erased:  # by an earlier rewrite
            continue
        found = _normalised(node, values)
        if found is None:
            continue
        x, eps, pattern = found
        last, weight, bias = _affine(node, values, learned, values[x].shape[1])
        _rewrite(gm.graph, x, eps, weight, bias, last, values[x].shape, pattern + [last])
        changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return changed


def _normalised(div: fx.Node, values: dict) -> tuple[fx.Node, float, list[fx.Node]] | None:
    """``(x - u) / torch.sqrt(s + eps)`` at ``div``, with ``u`` and ``s`` the mean and the
    biased variance of ``x`` over dimension 1 of a ``[B, C, ...]`` tensor: ``(x, eps, the
    pattern's nodes)``, or None."""
    if not calls(div, _DIVS) or len(div.args) != 2 or div.kwargs:
        return None
    centred, root = div.args
    if not (calls(root, _ROOTS) and len(root.args) == 1 and not root.kwargs):
        return None
    plus = root.args[0]
    if not (calls(plus, _ADDS) and len(plus.args) == 2 and not plus.kwargs):
        return None
    s, eps = plus.args if isinstance(plus.args[0], fx.Node) else plus.args[::-1]
    x_u = _centred(centred)
    squared = _squared(s)
    if x_u is None or squared is None or _centred(squared) != x_u \
            or type(eps) not in (int, float) or not eps > 0:
        return None
    x, u = x_u
    value = values.get(x)
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.dim() < 3 \
            or not _channel_mean(u, x, value.dim()) or not _channel_mean(s, s.args[0], value.dim()):
        return None
    return x, float(eps), [div, root, plus, centred, squared, s, u]


def _centred(node: Any) -> tuple[fx.Node, fx.Node] | None:
    """``(x, u)`` of ``x - u`` (both computed), or None."""
    if calls(node, _SUBS) and len(node.args) == 2 and not node.kwargs \
            and all(isinstance(a, fx.Node) for a in node.args):
        return node.args[0], node.args[1]
    return None


def _squared(node: Any) -> fx.Node | None:
    """``d`` of ``mean(d.pow(2), ...)``, ``d ** 2``, ``torch.pow(d, 2)``, ``d.square()`` or
    ``d * d`` (``node`` is the mean); None for anything else."""
    if not calls(node, _MEANS) or not node.args or not isinstance(node.args[0], fx.Node):
        return None
    square = node.args[0]
    if calls(square, (operator.pow, torch.pow, "pow")) and len(square.args) == 2 \
            and square.args[1] in (2, 2.0) and not square.kwargs:
        return _centred(square.args[0]) and square.args[0]
    if calls(square, (torch.square, "square")) and len(square.args) == 1:
        return _centred(square.args[0]) and square.args[0]
    if calls(square, _MULS) and len(square.args) == 2 and square.args[0] is square.args[1]:
        return _centred(square.args[0]) and square.args[0]
    return None


def _channel_mean(node: Any, source: fx.Node, rank: int) -> bool:
    """``node`` is ``source.mean(1, keepdim=True)`` (``dim=[1]``, ``-rank + 1`` alike)."""
    if not calls(node, _MEANS) or not node.args or node.args[0] is not source:
        return False
    bound = dict(zip(("input", "dim", "keepdim"), node.args), **node.kwargs)
    dim = bound.get("dim")
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    return set(bound) <= {"input", "dim", "keepdim"} and bound.get("keepdim") is True \
        and len(dims) == 1 and type(dims[0]) is int and dims[0] % rank == 1


def _affine(div: fx.Node, values: dict, learned: dict,
            channels: int) -> tuple[fx.Node, Any, Any]:
    """``weight[:, None, None] * n + bias[:, None, None]`` after the normalised ``n`` (either
    order; the bias, or both, may be missing): the last node of the norm and the get_attr
    nodes of the weight and bias (None where missing)."""
    last, weight, bias = div, None, None
    users = list(div.users)
    if len(users) == 1 and calls(users[0], _MULS) and len(users[0].args) == 2 \
            and not users[0].kwargs:
        other = next((a for a in users[0].args if a is not div), None)
        weight = _per_channel(other, values, learned, channels)
        if weight is not None:
            last = users[0]
    users = list(last.users)
    if weight is not None and len(users) == 1 and calls(users[0], _ADDS) \
            and len(users[0].args) == 2 and not users[0].kwargs:
        other = next((a for a in users[0].args if a is not last), None)
        bias = _per_channel(other, values, learned, channels)
        if bias is not None and (values[bias].shape != values[weight].shape
                                 or bias.target.rpartition(".")[0]
                                 != weight.target.rpartition(".")[0]):
            bias = None  # a shift of another module's: not this norm's
        if bias is not None:
            last = users[0]
    return last, weight, bias


def _per_channel(node: Any, values: dict, learned: dict, channels: int) -> fx.Node | None:
    """The get_attr node of a ``[C]`` parameter that ``node`` views as ``[C, 1, 1]`` (or
    ``[1, C, 1, 1]``: ``weight[:, None, None]``, ``.view(-1, 1, 1)``, ``.unsqueeze(-1)``…),
    with ``C`` the channels of the normalised map; None for anything else."""
    current = node
    while isinstance(current, fx.Node) and current.op != "get_attr":
        shaping = current.op == "call_method" and current.target in _VIEWS \
            or current.op == "call_function" and current.target in (operator.getitem,
                                                                     torch.unsqueeze)
        if not shaping or not current.args:
            return None
        current = current.args[0]
    if not isinstance(current, fx.Node) or str(current.target) not in learned:
        return None
    table, viewed = values.get(current), values.get(node)
    if not isinstance(table, torch.Tensor) or tuple(table.shape) != (channels,) \
            or not isinstance(viewed, torch.Tensor):
        return None
    shape = list(viewed.shape)
    while shape and shape[0] == 1 and len(shape) > 1:
        shape.pop(0)
    if shape[:1] != [table.shape[0]] or any(d != 1 for d in shape[1:]) \
            or not torch.equal(viewed.reshape(-1), table):
        return None
    return current


def _rewrite(graph: fx.Graph, x: fx.Node, eps: float, weight: Any, bias: Any,
             last: fx.Node, shape: torch.Size, pattern: list[fx.Node]) -> None:
    """``last``'s uses take ``F.layer_norm`` over the channels of ``x`` (moved last and back)
    instead; the hand-written nodes are erased where nothing else uses them."""
    rank, channels = len(shape), shape[1]
    forth = (0, *range(2, rank), 1)
    back = (0, rank - 1, *range(1, rank - 1))
    meta = {k: v for k, v in last.meta.items() if k not in ("val", "tensor_meta")}
    with graph.inserting_before(last):
        moved = graph.call_method("permute", (x, *forth))
        normed = graph.call_function(F.layer_norm, (moved, (channels,), weight, bias, eps))
        result = graph.call_method("permute", (normed, *back))
    for new in (moved, normed, result):
        new.meta.update(meta)
    last.replace_all_uses_with(result)
    for node in pattern + [a for n in pattern for a in n.all_input_nodes]:
        erase_unused(graph, node)


