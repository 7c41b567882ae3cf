"""The gated linear unit, ``F.glu(x, dim)`` or ``nn.GLU(dim)`` (the Temporal Fusion
Transformer's gates, Conformer's convolution module, gated CNN language models): the first half
of ``x`` along ``dim`` times the sigmoid of the second half. No block is the whole of it, and
none is needed: :func:`split_glus` rewrites the traced graph to what it computes::

    a, b = torch.chunk(x, 2, dim)
    y = a * torch.sigmoid(b)

which imports as a Chunk, a Sigmoid and a Multiply block, with no parameters (as the model
has none there). An odd size along ``dim`` is left as it is (refused where it was: torch
refuses it too).
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn


def split_glus(gm: fx.GraphModule, values: dict[fx.Node, Any], model: nn.Module) -> bool:
    """Rewrite each GLU of ``gm`` to a chunk, a sigmoid and a product; ``values`` are the
    nodes' values on the sample. Whether anything was rewritten."""
    changed = False
    for node in list(gm.graph.nodes):
        found = _glu(node, model)
        if found is None:
            continue
        x, dim = found
        value = values.get(x)
        if not isinstance(value, torch.Tensor) or not isinstance(dim, int) \
                or not -value.dim() <= dim < value.dim() or value.shape[dim] % 2:
            continue
        meta = {k: v for k, v in node.meta.items() if k not in ("val", "tensor_meta")}
        with gm.graph.inserting_before(node):
            halves = gm.graph.call_function(torch.chunk, (x, 2, dim))
            first = gm.graph.call_function(operator.getitem, (halves, 0))
            second = gm.graph.call_function(operator.getitem, (halves, 1))
            gate = gm.graph.call_function(torch.sigmoid, (second,))
            gated = gm.graph.call_function(operator.mul, (first, gate))
        for new in (halves, first, second, gate, gated):
            new.meta.update(meta)
        node.replace_all_uses_with(gated)
        gm.graph.erase_node(node)
        changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return changed


def _glu(node: fx.Node, model: nn.Module) -> tuple[fx.Node, Any] | None:
    """``(x, dim)`` of a GLU call at ``node``, or None."""
    if node.op == "call_module" and type(model.get_submodule(str(node.target))) is nn.GLU:
        if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], fx.Node):
            return None
        return node.args[0], model.get_submodule(str(node.target)).dim
    if node.op == "call_function" and node.target is F.glu or \
            node.op == "call_method" and node.target == "glu":
        bound = dict(zip(("input", "dim"), node.args), **node.kwargs)
        if set(bound) - {"input", "dim"} or not isinstance(bound.get("input"), fx.Node):
            return None
        return bound["input"], bound.get("dim", -1)
    return None
