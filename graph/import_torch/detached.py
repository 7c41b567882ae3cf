"""A weight read through ``.data`` or ``.detach()`` in forward: the weight itself, frozen.

d2l's custom layer reads its parameters so, ``torch.matmul(X, self.weight.data) +
self.bias.data``; the import stopped at the read ("cannot import builtins.getattr … no
LayerLoom block does this"). The values are the weight's, so the product and its bias import as
they do without ``.data`` (a Linear); no gradient reaches the weight through the read, so the
model never trains it, and the block is frozen as in the model (``training``, which names the
line).
"""

from __future__ import annotations

from functools import partial

from torch import fx

from .rewriting import calls, replace, settled

DETACHED = "detached"  # meta of a get_attr made here: how the model read it (".data")


def read_detached_weights(gm: fx.GraphModule) -> bool:
    """Replace each ``self.W.data`` / ``self.W.detach()`` of a parameter or buffer ``W`` by a
    get_attr of ``W`` of its own, marked :data:`DETACHED` (a gradient stop). Whether any was."""
    kept = {name for name, _ in gm.named_parameters()} | {name for name, _ in
                                                           gm.named_buffers()}
    changed = False
    for node in list(gm.graph.nodes):
        how = _detached_read(node)
        source = node.args[0] if how else None
        if not how or not isinstance(source, fx.Node) or source.op != "get_attr" or \
                source.target not in kept:
            continue
        replace(gm, node, partial(_mark, read=node, how=how), gm.graph.get_attr, source.target)
        changed = True
    return settled(gm, changed, lint=False)


def _mark(made: list[fx.Node], read: fx.Node, how: str) -> None:
    """The get_attr ``made`` for the detached ``read`` keeps its meta, and how it was read."""
    for weight in made:
        weight.meta.update({k: v for k, v in read.meta.items() if k not in ("val",
                                                                           "tensor_meta")})
        weight.meta[DETACHED] = how


def _detached_read(node: fx.Node) -> str | None:
    """``.data`` or ``.detach()`` where ``node`` reads its one argument so, else None."""
    if node.op == "call_function" and node.target is getattr and node.args[1:] == ("data",):
        return ".data"
    if calls(node, ("detach",)) and len(node.args) == 1 and not node.kwargs:
        return ".detach()"
    return None
