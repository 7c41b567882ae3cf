"""Attention heads merged into the batch, as lucidrains' repositories write them (perceiver-
pytorch's cross-attention)::

    q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> (b h) n d', h=h), (q, k, v))
    sim = einsum('b i d, b j d -> b i j', q, k) * self.scale
    out = einsum('b i j, b j d -> b i d', sim.softmax(dim=-1), v)
    out = rearrange(out, '(b h) n d -> b n (h d)', h=h)

A LayerLoom tensor keeps its batch first and alone, so the merge ``[B, h, n, d] → [B·h, n, d]``
has no block. Between the merge and the split back ``[B·h, n, d] → [B, h, n, d]`` the heads are
kept as a dimension of their own instead: both reshapes are left out, and each einsum on the
merged tensors gets a letter for the heads after the batch's (``'b i d, b j d -> b i j'`` is
``'b h i d, b h j d -> b h i j'``), which :mod:`.einsums` then writes as a matmul; sizes read
from the merged tensors are read as the model had them (:func:`merged_size`). The rewrite is
kept only where the model's outputs on the sample are unchanged by it.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import fx
from torch.utils._pytree import tree_flatten

from .rewriting import calls
from .trace import BATCH, propagate

_RESHAPES = (torch.reshape, torch.flatten, "reshape", "view", "flatten")
_EINSUM = (torch.einsum, torch.functional.einsum, "einsum")


def unmerge_heads(gm: fx.GraphModule, values: dict[fx.Node, Any], samples: list) -> bool:
    """Keep heads merged into the batch as a dimension of their own (see the module's text),
    where that leaves the outputs on ``samples`` as they are. Whether ``gm`` was changed."""
    if not any(_merged(n, values) for n in gm.graph.nodes):
        return False
    graph = copy.deepcopy(gm.graph)
    if not _rewrite(graph, {new: values.get(old) for old, new in
                            zip(gm.graph.nodes, graph.nodes)}):
        return False
    trial = fx.GraphModule(gm, graph)
    try:
        got = propagate(trial, samples)
    except Exception:  # noqa: BLE001 - an op that needs the merged batch: left as written
        return False
    expected = _outputs(gm.graph, values)
    outputs = _outputs(graph, got)
    if len(outputs) != len(expected) or not all(
            isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a, b, atol=1e-5, rtol=1e-4) for a, b in zip(outputs, expected)):
        return False
    gm.graph = graph
    gm.recompile()
    return True


def _outputs(graph: fx.Graph, values: dict) -> list:
    output = next(n for n in graph.nodes if n.op == "output")
    nodes, _ = tree_flatten(output.args[0])
    return [values.get(n) if isinstance(n, fx.Node) else n for n in nodes]


def _shapes(node: fx.Node, values: dict) -> tuple[tuple, tuple] | None:
    """The (input, output) shapes of a reshape of one computed tensor, else None."""
    if not calls(node, _RESHAPES) or not node.args or not isinstance(node.args[0], fx.Node):
        return None
    before, after = values.get(node.args[0]), values.get(node)
    if not isinstance(before, torch.Tensor) or not isinstance(after, torch.Tensor):
        return None
    return tuple(before.shape), tuple(after.shape)


def _merged(node: fx.Node, values: dict) -> bool:
    """``[B, h, …] → [B·h, …]``: the batch merged with the dimension after it."""
    shapes = _shapes(node, values)
    return shapes is not None and len(shapes[0]) >= 3 and shapes[0][0] == BATCH \
        and shapes[0][1] > 1 and shapes[1] == (BATCH * shapes[0][1], *shapes[0][2:])


def _split(node: fx.Node, values: dict) -> bool:
    """``[B·h, …] → [B, h, …]``: the merged batch split again."""
    shapes = _shapes(node, values)
    return shapes is not None and len(shapes[1]) >= 3 and shapes[1][0] == BATCH \
        and shapes[1][1] > 1 and shapes[0] == (BATCH * shapes[1][1], *shapes[1][2:])


def _rewrite(graph: fx.Graph, values: dict) -> bool:
    """Leave out the merges and the splits they reach, and give the einsums between them a
    letter for the heads. False where an einsum cannot take one."""
    heads: set[fx.Node] = set()  # the tensors that now keep the heads as a dimension
    for node in list(graph.nodes):
        if _merged(node, values):
            heads.add(node.args[0])
            node.replace_all_uses_with(node.args[0])
            graph.erase_node(node)
            continue
        if not set(node.all_input_nodes) & heads:
            continue
        if _size_read(node):  # sizes the model computes from the merged tensor stay its own
            with graph.inserting_before(node):
                dim = node.args[1:] if node.op == "call_method" else ()
                read = graph.call_function(merged_size, (node.args[0], *dim))
            read.meta.update(node.meta)
            node.replace_all_uses_with(read)
            graph.erase_node(node)
            continue
        if _split(node, values):  # what follows has the heads apart, as the model split them
            with graph.inserting_before(node):
                kept = graph.call_method("contiguous", (node.args[0],))
            kept.meta.update(node.meta)
            node.replace_all_uses_with(kept)
            graph.erase_node(node)
            continue
        if calls(node, _EINSUM) and not _with_heads(node, heads):
            return False
        heads.add(node)
    return True


def merged_size(x: torch.Tensor, dim: int | None = None) -> Any:
    """``x.shape`` or ``x.size(dim)`` of ``x`` as the model had it, its heads merged into the
    batch: read where the model computes sizes from the merged tensor."""
    shape = torch.Size([x.shape[0] * x.shape[1], *x.shape[2:]])
    return shape if dim is None else shape[dim]


def _size_read(node: fx.Node) -> bool:
    """``x.shape``, ``x.size()`` or ``x.size(dim)``."""
    if node.op == "call_function" and node.target is getattr:
        return len(node.args) == 2 and node.args[1] == "shape"
    return node.op == "call_method" and node.target == "size" and not node.kwargs \
        and len(node.args) <= 2


def _with_heads(node: fx.Node, heads: set[fx.Node]) -> bool:
    """Add a letter for the heads after the batch's to the terms of ``node``'s einsum whose
    operand keeps the heads, and to its result."""
    if node.kwargs or len(node.args) < 2 or not isinstance(node.args[0], str):
        return False
    listed = len(node.args) == 2 and isinstance(node.args[1], (list, tuple))
    operands = list(node.args[1] if listed else node.args[1:])
    equation = node.args[0].replace(" ", "")
    if "->" not in equation or "." in equation:
        return False
    inputs, result = equation.split("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        return False
    batch = {t[0] for t, o in zip(terms, operands) if o in heads and t}
    spare = [c for c in "hgfeklmnopqrstuvwxyz" if c not in equation]
    if len(batch) != 1 or not result.startswith(tuple(batch)) or not spare:
        return False
    letter = batch.pop()
    if any(o not in heads and letter in t for t, o in zip(terms, operands)):
        return False  # a tensor of the whole batch beside the merged ones
    terms = [t[0] + spare[0] + t[1:] if o in heads else t for t, o in zip(terms, operands)]
    written = f"{','.join(terms)}->{result[0]}{spare[0]}{result[1:]}"
    node.args = (written, operands) if listed else (written, *operands)
    return True
