"""timm's attention splits q, k and v with a permute that moves the batch::

    qkv = self.qkv(x).reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)          # or qkv[0], qkv[1], qkv[2]

The same values, written with the batch first (nanoGPT's way, which imports as Chunk,
Unflatten and Permute blocks)::

    q, k, v = self.qkv(x).chunk(3, dim=-1)
    q = q.view(B, N, H, D).transpose(1, 2)   # and k, v

(the last dimension, 3 * H * D, reshaped to (3, H, D): its first third is q, then k, then v).
:func:`split_qkv` rewrites the traced graph from the first form to the second where it matches
exactly; anything else is left as it is (and the permute is refused as before).
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx

_ORDER = (2, 0, 3, 1, 4)


def _flat(args: tuple) -> tuple:
    """``(a, b, c)`` whether written so or as one tuple/list ``((a, b, c),)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _reshape_dims(node: fx.Node) -> tuple | None:
    """The dims of ``x.reshape(...)``, ``x.view(...)`` or ``torch.reshape(x, ...)``."""
    if node.op == "call_method" and node.target in ("reshape", "view") and not node.kwargs:
        return _flat(node.args[1:])
    if node.op == "call_function" and node.target is torch.reshape:
        shape = node.kwargs.get("shape", node.args[1] if len(node.args) > 1 else None)
        return tuple(shape) if isinstance(shape, (tuple, list)) else None
    return None


def _permute_dims(node: fx.Node) -> tuple | None:
    if node.op == "call_method" and node.target == "permute":
        dims = node.kwargs.get("dims")
        return tuple(dims) if isinstance(dims, (tuple, list)) else _flat(node.args[1:])
    if node.op == "call_function" and node.target is torch.permute:
        dims = node.kwargs.get("dims", node.args[1] if len(node.args) > 1 else None)
        return tuple(dims) if isinstance(dims, (tuple, list)) else None
    return None


def _unbinds_first(node: fx.Node) -> bool:
    """``qkv.unbind(0)``, ``qkv.unbind()``, ``qkv.unbind(dim=0)``, ``torch.unbind(qkv, 0)``."""
    if not (node.op == "call_method" and node.target == "unbind"
            or node.op == "call_function" and node.target is torch.unbind):
        return False
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    return dim == 0 and len(node.args) <= 2 and set(node.kwargs) <= {"dim"}


def _parts(node: fx.Node) -> list[fx.Node] | None:
    """``node[0]``, ``node[1]``, ``node[2]`` (each an fx getitem with a whole number), where
    they are all of ``node``'s uses; else None."""
    parts = []
    for user in node.users:
        if not (user.op == "call_function" and user.target is operator.getitem
                and len(user.args) == 2 and not user.kwargs and user.args[0] is node
                and type(user.args[1]) is int and user.args[1] in (0, 1, 2)):
            return None
        parts.append(user)
    return parts


def _matches(reshape: fx.Node, values: dict[fx.Node, Any]) -> bool:
    """``reshape`` gives [B, N, 3, H, D] from a [B, N, 3 * H * D] tensor."""
    source, result = values.get(reshape.args[0]), values.get(reshape)
    if not (isinstance(source, torch.Tensor) and isinstance(result, torch.Tensor)):
        return False
    return source.dim() == 3 and result.dim() == 5 and result.shape[2] == 3 \
        and tuple(result.shape[:2]) == tuple(source.shape[:2]) \
        and 3 * result.shape[3] * result.shape[4] == source.shape[2]


def split_qkv(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Rewrite each of ``gm``'s timm-style q, k, v splits (see the module's text) to chunk, view
    and transpose, with ``values`` the nodes' values (as :func:`.trace.propagate` gives them);
    whether anything was rewritten (the values are then those of the graph as it was)."""
    changed = False
    for permute in list(gm.graph.nodes):
        if _permute_dims(permute) != _ORDER or not isinstance(permute.args[0], fx.Node):
            continue
        reshape = permute.args[0]
        dims = _reshape_dims(reshape)
        if dims is None or len(dims) != 5 or type(dims[2]) is not int or dims[2] != 3 \
                or list(reshape.users) != [permute] or not isinstance(reshape.args[0], fx.Node) \
                or not _matches(reshape, values):
            continue
        users = list(permute.users)
        unbind = users[0] if len(users) == 1 and _unbinds_first(users[0]) else None
        parts = _parts(unbind if unbind is not None else permute)
        if not parts:
            continue
        graph = gm.graph
        with graph.inserting_before(parts[0] if unbind is None else unbind):
            chunk = graph.call_method("chunk", (reshape.args[0], 3), {"dim": -1})
            chunk.meta.update({k: v for k, v in reshape.meta.items() if k != "val"})
        made: dict[int, fx.Node] = {}
        for part in parts:
            index = part.args[1]
            if index not in made:
                with graph.inserting_after(chunk if not made else list(made.values())[-1]):
                    piece = graph.call_function(operator.getitem, (chunk, index))
                with graph.inserting_after(piece):
                    view = graph.call_method("view", (piece, dims[0], dims[1], dims[3],
                                                      dims[4]))
                with graph.inserting_after(view):
                    heads = graph.call_method("transpose", (view, 1, 2))
                for new in (piece, view, heads):
                    new.meta.update({k: v for k, v in permute.meta.items() if k != "val"})
                made[index] = heads
            part.replace_all_uses_with(made[index])
        for part in parts:
            graph.erase_node(part)
        for node in (unbind, permute, reshape):
            if node is not None:
                graph.erase_node(node)
        changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return changed
