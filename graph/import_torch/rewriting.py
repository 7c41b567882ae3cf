"""What the rewrites of a traced graph before the import share (:mod:`.channels_first_norm`,
:mod:`.causal_attention`, :mod:`.detached`, :mod:`.rearrangements`, :mod:`.written_out`):
telling a call by its target, putting new nodes in one's place, and erasing what a rewrite left
unused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import fx


def erase_unused(graph: fx.Graph, node: fx.Node) -> None:
    """Erase ``node`` and then its inputs in turn, where nothing uses them (a parameter's or
    buffer's get_attr, an input: kept)."""
    if node._erased or node.users or node.op in ("placeholder", "get_attr", "output"):
        return
    inputs = node.all_input_nodes
    graph.erase_node(node)
    for source in inputs:
        erase_unused(graph, source)


def settled(gm: fx.GraphModule, changed: bool, *, lint: bool = True) -> bool:
    """``changed``, after a rewrite that changed ``gm``'s graph has been cleaned, checked
    (unless ``lint`` is false) and compiled again."""
    if changed:
        gm.graph.eliminate_dead_code()
        if lint:
            gm.graph.lint()
        gm.recompile()
    return changed


def replace(gm: fx.GraphModule, node: fx.Node, mark: Callable[[list[fx.Node]], None],
            build: Callable[..., Any], *args: Any) -> fx.Node:
    """Put what ``build(*args)`` adds to ``gm``'s graph, written before ``node``, in ``node``'s
    place: ``mark`` is given the nodes added (to carry what they need of ``node``'s meta),
    every use of ``node`` then takes the node ``build`` returns (or its proxy's), and ``node``
    is erased. That node. Where a pass has replaced any, :func:`settled` tidies the graph."""
    before = set(gm.graph.nodes)
    with gm.graph.inserting_before(node):
        result = build(*args)
    result = result.node if isinstance(result, fx.Proxy) else result
    mark([n for n in gm.graph.nodes if n not in before])
    node.replace_all_uses_with(result)
    gm.graph.erase_node(node)
    return result


def calls(node: Any, targets: tuple) -> bool:
    """``node`` calls one of ``targets`` (functions, or the names of tensor methods)."""
    if not isinstance(node, fx.Node):
        return False
    if node.op == "call_method":
        return node.target in targets
    return node.op == "call_function" and any(node.target is t for t in targets
                                              if not isinstance(t, str))


def fuse_sums(gm: fx.GraphModule, find: Callable[[fx.Node], tuple | None],
              into: Callable) -> bool:
    """Replace each add ``node`` of ``gm`` for which ``find(node)`` gives ``(x, weight, bias,
    product)`` (``node`` adding ``bias`` to ``product``, which it alone uses) by a call of
    ``into(x, weight, bias)``, which a rule imports as one block. Whether any was."""
    changed = False
    for node in list(gm.graph.nodes):
        found = find(node)
        if found is None:
            continue
        x, weight, bias, product = found
        with gm.graph.inserting_before(node):
            fused = gm.graph.call_function(into, (x, weight, bias))
        fused.meta.update({k: v for k, v in node.meta.items() if k not in ("val", "tensor_meta")})
        node.replace_all_uses_with(fused)
        gm.graph.erase_node(node)
        gm.graph.erase_node(product)
        changed = True
    if changed:
        gm.recompile()
    return changed
