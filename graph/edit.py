"""The designer's edits and read-outs, as pure functions: a graph in, a new graph out.

Every edit copies the graph and leaves its argument untouched, so the UI can keep the old one for
undo. A *level* is the main graph (``path == ()``) or the inside of a composite block
(``path == ("Stem", "BasicBlock")``: the blocks opened, outermost first; the last one is edited).
Edits that cannot be made raise :class:`GraphError` naming the node at fault.

>>> from layerloom.graph import load_graph
>>> g = load_graph({"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
...     {"id": "x", "type": "Input", "params": {"shape": [8]}},
...     {"id": "fc", "type": "Linear", "params": {"out_features": 4}},
...     {"id": "act", "type": "ReLU"}, {"id": "y", "type": "Output"}],
...     "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "act"},
...               {"source": "act", "target": "y"}]})
>>> g2, block_node = group(g, ["fc", "act"], name="Head", promote=[("fc", "out_features")])
>>> [n.id for n in g2.nodes], g2.blocks["Head"].params
(['x', 'head1', 'y'], {'out_features': 4})
>>> [n.id for n in ungroup(g2, "head1")[0].nodes]
['x', 'fc', 'act', 'y']
"""

from __future__ import annotations

import copy
import io
import json
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .blocks.common import prod
from .errors import GraphError
from .expressions import ExpressionError, evaluate, is_expression, names_in, variable_name_problem
from .io import parse_graph
from .model import Block, Edge, Graph, Node
from .registry import all_blocks, find_block
from .node_ids import id_fault
from .resolve import BYTES, Layer, Level, NodeInfo
from .variable_order import in_use_order
from .summary import summarize
from .validate import Report

LevelPath = tuple[str, ...]
BLOCK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
PORTS = ("Input", "Output")
X_STEP, Y_STEP = 240, 140  # layout grid: room for a node card and its edge label

_UNSET: Any = object()


# -- levels -----------------------------------------------------------------------------------

def check_path(graph: Graph, path: Sequence[str]) -> LevelPath:
    """``path`` as a tuple, after checking that every block in it exists."""
    for name in path:
        if name not in graph.blocks:
            raise GraphError(f"no block '{name}' in this graph")
    return tuple(path)


def nodes_edges(graph: Graph, path: Sequence[str] = ()) -> tuple[list[Node], list[Edge]]:
    """The node and edge lists of one level (the graph's own lists: copy before changing)."""
    path = check_path(graph, path)
    if not path:
        return graph.nodes, graph.edges
    block = graph.blocks[path[-1]]
    return block.nodes, block.edges


def get_level(graph: Graph, path: Sequence[str] = ()) -> dict:
    """One level in the JSON format: ``{"nodes": [...], "edges": [...]}``."""
    nodes, edges = nodes_edges(graph, path)
    return {"nodes": [n.to_dict() for n in nodes], "edges": [e.to_dict() for e in edges]}


def set_level(graph: Graph, path: Sequence[str], level: dict) -> Graph:
    """A copy of ``graph`` with one level replaced by ``level`` (format dicts, checked)."""
    path = check_path(graph, path)
    data = graph.to_dict()
    target = data if not path else data["blocks"][path[-1]]
    target["nodes"] = level.get("nodes", [])
    target["edges"] = level.get("edges", [])
    return parse_graph(data)


def _copy_level(graph: Graph, path: Sequence[str]) -> tuple[Graph, list[Node], list[Edge]]:
    g = graph.copy()
    nodes, edges = nodes_edges(g, path)
    return g, nodes, edges


def _find(nodes: Iterable[Node], node_id: str) -> Node:
    for node in nodes:
        if node.id == node_id:
            return node
    raise GraphError(f"no node '{node_id}' here", node=node_id)


# -- node edits -------------------------------------------------------------------------------

def set_param(graph: Graph, path: Sequence[str], node_id: str, name: str,
              value: Any = _UNSET) -> Graph:
    """Set one param of a node; without ``value`` the param is removed (its default applies)."""
    g, nodes, _ = _copy_level(graph, path)
    node = _find(nodes, node_id)
    if value is _UNSET:
        node.params.pop(name, None)
    else:
        node.params[name] = value
    return g


def update_node(graph: Graph, path: Sequence[str], node_id: str, *, label: Any = _UNSET,
                repeat: Any = _UNSET, trainable: Any = _UNSET) -> Graph:
    """Set a node's ``label`` or ``repeat`` (None removes either), or ``trainable`` (False
    freezes it for fine-tuning; True removes the mark)."""
    g, nodes, _ = _copy_level(graph, path)
    node = _find(nodes, node_id)
    if trainable is not _UNSET:
        if trainable is False:
            node.extra["trainable"] = False
        else:
            node.extra.pop("trainable", None)
    if label is not _UNSET:
        node.label = label or None
    if repeat is not _UNSET:
        node.repeat = None if repeat in (None, "", 1) else repeat
    return g


def rename_node(graph: Graph, path: Sequence[str], old: str, new: str) -> Graph:
    """Give a node a new id, rewiring its edges."""
    g, nodes, edges = _copy_level(graph, path)
    node = _find(nodes, old)
    if new == old:
        return g
    fault = id_fault(new)
    if fault:
        raise GraphError(fault, node=old)
    holder = next((n for n in nodes if n.id == new), None)
    if holder is not None:
        free = fresh_id((n.id for n in nodes), re.sub(r"\d+$", "", new) or new)
        raise GraphError(f"there is already a block '{new}' (a {holder.type}): an id names one "
                         f"block; pick another, such as '{free}'", node=old)
    node.id = new
    for edge in edges:
        edge.source = new if edge.source == old else edge.source
        edge.target = new if edge.target == old else edge.target
    return g


def set_variable(graph: Graph, name: str, value: Any = _UNSET) -> Graph:
    """Set a design variable (a number or an ``"=expression"``); without ``value``, remove it."""
    g = graph.copy()
    if value is _UNSET:
        g.variables.pop(name, None)
        return g
    problem = variable_name_problem(name or "")
    if problem:
        raise GraphError(problem, param=name)
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or is_expression(value)):
        raise GraphError(f"variable '{name}' must be a number or an \"=expression\", got "
                         f"{value!r}", param=name)
    g.variables[name] = value
    # a variable given an expression of one listed after it (phi, added last, in width's
    # '=1.1 ** phi') goes after it: the designer cannot move variables
    g.variables = in_use_order(g.variables)
    return g


def set_info(graph: Graph, *, name: Any = _UNSET, description: Any = _UNSET,
             block: str | None = None) -> Graph:
    """Set the design's name or description, or a composite block's description (None or ""
    removes a description)."""
    g = graph.copy()
    if block is not None:
        if block not in g.blocks:
            raise GraphError(f"no block '{block}' in this graph")
        if description is not _UNSET:
            g.blocks[block].description = description or None
        return g
    if name is not _UNSET:
        if not str(name or "").strip():
            raise GraphError("the design needs a name")
        g.name = str(name).strip()
    if description is not _UNSET:
        g.description = description or None
    return g


def set_block_param(graph: Graph, block_name: str, name: str, value: Any = _UNSET) -> Graph:
    """Declare (or change the default of) a param of a composite block; without ``value``,
    remove it."""
    if block_name not in graph.blocks:
        raise GraphError(f"no block '{block_name}' in this graph")
    g = graph.copy()
    params = g.blocks[block_name].params
    if value is _UNSET:
        params.pop(name, None)
        return g
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name or ""):
        raise GraphError(f"block param name {name!r} must be a name such as 'channels'")
    if isinstance(value, str) and not is_expression(value) or \
            not isinstance(value, (int, float, bool, str)):
        raise GraphError(f"block '{block_name}': param '{name}' default must be a number or an "
                         f"\"=expression\", got {value!r}", param=name)
    params[name] = value
    return g


def rename_block(graph: Graph, old: str, new: str) -> Graph:
    """Rename a composite block and every node that uses it."""
    if old not in graph.blocks:
        raise GraphError(f"no block '{old}' in this graph")
    if new == old:
        return graph.copy()
    _check_block_name(graph, new)
    g = graph.copy()
    g.blocks = {(new if k == old else k): v for k, v in g.blocks.items()}
    g.blocks[new].name = new
    for nodes in [g.nodes] + [b.nodes for b in g.blocks.values()]:
        for node in nodes:
            if node.type == old:
                node.type = new
    return g


def _check_block_name(graph: Graph, name: str) -> None:
    if not BLOCK_NAME.match(name or ""):
        raise GraphError(f"block name {name!r} must start with a letter and hold only letters, "
                         f"digits and '_' (at most 64)")
    if name in graph.blocks or find_block(name) is not None:
        raise GraphError(f"there is already a block named '{name}'")


def fresh_block_name(graph: Graph, base: str = "Block") -> str:
    taken = set(graph.blocks) | {s.type for s in all_blocks()}
    if base not in taken:
        return base
    i = 2
    while f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


def fresh_id(used: Iterable[str], base: str) -> str:
    """``base`` lowercased plus the lowest number not in use (``block1``), as the canvas does."""
    used = set(used)
    stem = re.sub(r"[^a-z0-9_-]", "", base.lower())[:56] or "node"
    i = 1
    while f"{stem}{i}" in used:
        i += 1
    return f"{stem}{i}"


# -- composite blocks: group, promote, ungroup --------------------------------------------------

def group(graph: Graph, ids: Sequence[str], *, path: Sequence[str] = (), name: str | None = None,
          promote: Sequence[tuple[str, str]] = ()) -> tuple[Graph, str]:
    """Replace the nodes ``ids`` of one level by a node of a new composite block.

    The block's inputs are the distinct outside nodes that feed the selection (``x``, or ``x1``,
    ``x2``… in edge order); its output is the one selected node whose output leaves the
    selection (or its one last node). ``promote`` lists ``(node, param)`` pairs that become block
    params, their current values the defaults. Returns the new graph and the new node's id.
    """
    path = check_path(graph, path)
    g, nodes, edges = _copy_level(graph, path)
    chosen_ids = list(dict.fromkeys(ids))
    if not chosen_ids:
        raise GraphError("select at least one block to group")
    chosen = [_find(nodes, i) for i in chosen_ids]
    inside = set(chosen_ids)
    ports = [n.id for n in chosen if n.type in PORTS]
    if ports:
        raise GraphError(f"{ports[0]} is an {_find(nodes, ports[0]).type}: a block's inputs and "
                         f"output come from the edges cut by the selection, so leave "
                         f"{', '.join(ports)} out", node=ports[0])
    name = name or fresh_block_name(g)
    _check_block_name(g, name)

    cut_in = [e for e in edges if e.target in inside and e.source not in inside]
    cut_out = [e for e in edges if e.source in inside and e.target not in inside]
    # an outside source with several outputs feeds one input port per output it gives
    sources = list(dict.fromkeys((e.source, e.source_port) for e in cut_in))
    _check_no_cycle(edges, inside, cut_in, cut_out)
    output = _block_output(chosen, edges, inside, cut_out)
    picked = list(dict.fromkeys(e.source_port for e in cut_out if e.source == output))
    if len(picked) > 1:
        raise GraphError(f"a grouped block has one output, but {len(picked)} outputs of "
                         f"{output} feed blocks outside the selection; select fewer or more "
                         f"blocks", node=output)

    port_ids = ["x"] if len(sources) == 1 else [f"x{i + 1}" for i in range(len(sources))]
    taken = set(inside)
    port_ids = [_unique(p, taken) for p in port_ids]
    out_id = _unique("out", taken)
    port_of = dict(zip(sources, port_ids))

    inner_nodes = [copy.deepcopy(n) for n in chosen]
    inner_edges = [copy.deepcopy(e) for e in edges if e.source in inside and e.target in inside]
    inner_edges += [Edge(port_of[(e.source, e.source_port)], e.target, e.port, dict(e.extra))
                    for e in cut_in]
    inner_edges.append(Edge(output, out_id, source_port=picked[0] if picked else None))
    block = Block(name, {}, inner_nodes, inner_edges)
    _place_ports(block, port_ids, out_id)

    new_node = Node(fresh_id({n.id for n in nodes}, name), name, position=_centre(chosen))
    if path:  # pass the enclosing block's params on: a block never sees its user's params
        _pass_outer_params(g.blocks[path[-1]], block, new_node)
    g.blocks[name] = block
    if promote:
        _promote(g, block, promote)

    first = min(nodes.index(n) for n in chosen)
    kept = [n for n in nodes if n.id not in inside]
    kept.insert(sum(1 for n in nodes[:first] if n.id not in inside), new_node)
    new_edges = []
    for e in edges:
        if e.target in inside:
            continue
        new_edges.append(Edge(new_node.id, e.target, e.port, dict(e.extra))
                         if e.source in inside else e)
    named = len(sources) > 1
    new_edges += [Edge(s, new_node.id, port_of[(s, sp)] if named else None, source_port=sp)
                  for s, sp in sources]
    nodes[:] = kept
    edges[:] = new_edges
    return g, new_node.id


def _block_output(chosen: list[Node], edges: list[Edge], inside: set[str],
                  cut_out: list[Edge]) -> str:
    leaving = [n.id for n in chosen if any(e.source == n.id for e in cut_out)]
    if len(leaving) > 1:
        raise GraphError(f"a block has one output, but {' and '.join(leaving)} both feed blocks "
                         f"outside the selection; select fewer or more blocks", node=leaving[0])
    if leaving:
        return leaving[0]
    feeding = {e.source for e in edges if e.source in inside and e.target in inside}
    last = [n.id for n in chosen if n.id not in feeding]
    if len(last) != 1:
        raise GraphError(f"a block has one output, but the selection ends in "
                         f"{', '.join(last)}; select one chain or join them first", node=last[0])
    return last[0]


def _check_no_cycle(edges: list[Edge], inside: set[str], cut_in: list[Edge],
                    cut_out: list[Edge]) -> None:
    """Grouping A and C of A → B → C would make B both feed and follow the block."""
    after = _reach({e.target for e in cut_out}, edges, forward=True) - inside
    before = _reach({e.source for e in cut_in}, edges, forward=False) - inside
    both = sorted(after & before)
    if both:
        raise GraphError(f"grouping these blocks would make a cycle through {both[0]}: it is fed "
                         f"by the selection and feeds it; add {both[0]} to the selection",
                         node=both[0])


def _reach(start: set[str], edges: list[Edge], forward: bool) -> set[str]:
    step: dict[str, list[str]] = {}
    for e in edges:
        a, b = (e.source, e.target) if forward else (e.target, e.source)
        step.setdefault(a, []).append(b)
    seen, todo = set(start), list(start)
    while todo:
        for nxt in step.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _unique(base: str, taken: set[str]) -> str:
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}{i}"
    taken.add(name)
    return name


def _centre(nodes: list[Node]) -> list[float] | None:
    placed = [n.position for n in nodes if n.position]
    if not placed:
        return None
    return [round(sum(p[0] for p in placed) / len(placed)),
            round(sum(p[1] for p in placed) / len(placed))]


def _place_ports(block: Block, port_ids: list[str], out_id: str) -> None:
    """Add the Input and Output nodes left and right of the block's inside, which moves to the
    origin (or is laid out, when it has no positions)."""
    inner = block.nodes
    if any(n.position is None for n in inner):
        for n in inner:
            n.position = None
    else:
        x0 = min(n.position[0] for n in inner)
        y0 = min(n.position[1] for n in inner)
        for n in inner:
            n.position = [n.position[0] - x0 + X_STEP, n.position[1] - y0]
    inputs = [Node(p, "Input") for p in port_ids]
    block.nodes = inputs + inner + [Node(out_id, "Output")]
    if any(n.position is None for n in inner):
        _apply_layout(block.nodes, block.edges)
        return
    right = max(n.position[0] for n in inner) + X_STEP
    for i, n in enumerate(inputs):
        n.position = [0, i * Y_STEP]
    block.nodes[-1].position = [right, 0]


def _pass_outer_params(outer: Block, block: Block, new_node: Node) -> None:
    used: set[str] = set()
    for node in block.nodes:
        for value in list(node.params.values()) + [node.repeat]:
            used |= _names(value) & set(outer.params)
    for name in sorted(used):
        block.params[name] = copy.deepcopy(outer.params[name])
        new_node.params[name] = f"={name}"


def _names(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value)) if value else set()
    if not is_expression(value):
        return set()
    try:
        return names_in(value)
    except ExpressionError:
        return set()


def promote(graph: Graph, block_name: str, items: Sequence[tuple[str, str]]) -> Graph:
    """Make params of nodes inside ``block_name`` into params of the block (current values
    become the defaults; the inner params then read ``"=name"``)."""
    if block_name not in graph.blocks:
        raise GraphError(f"no block '{block_name}' in this graph")
    g = graph.copy()
    _promote(g, g.blocks[block_name], items)
    return g


def _promote(graph: Graph, block: Block, items: Sequence[tuple[str, str]]) -> None:
    for node_id, param in items:
        node = _find(block.nodes, node_id)
        spec = find_block(node.type)
        if param in node.params:
            value = node.params[param]
        elif spec is not None and spec.param(param) is not None:
            value = spec.param(param).default
        elif node.type in graph.blocks and param in graph.blocks[node.type].params:
            value = graph.blocks[node.type].params[param]
        else:
            raise GraphError(f"{node.type} has no param '{param}' to promote", node=node_id,
                             param=param)
        if isinstance(value, str) and is_expression(value):
            if "in_shape" in _names(value):
                raise GraphError(f"{param} = {value!r} uses in_shape, which a block param "
                                 f"cannot see; promote a number instead", node=node_id,
                                 param=param)
        elif isinstance(value, list) and value and len({repr(v) for v in value}) == 1:
            value = value[0]  # [3, 3] → 3: a block param is one number
        elif not isinstance(value, (int, float, bool)):
            raise GraphError(f"{param} = {value!r}: only numbers, true/false and expressions can "
                             f"be block params", node=node_id, param=param)
        name = param if param not in block.params else f"{node_id}_{param}"
        name = _unique(name, set(block.params)) if name in block.params else name
        block.params[name] = value
        node.params[param] = f"={name}"


def ungroup(graph: Graph, node_id: str, *, path: Sequence[str] = ()) -> tuple[Graph, list[str]]:
    """Replace a composite node by the nodes inside its block, with its params written in.

    The block definition stays in ``blocks`` (other nodes may use it). Returns the new graph and
    the ids the inner nodes got (``<node>_<inner id>`` where an inner id is taken). The inner
    nodes stand as they stood inside the block, from where its card was; the blocks they would
    cover move right and down to make room (``_make_room``), in the same edit.
    """
    g, nodes, edges = _copy_level(graph, path)
    node = _find(nodes, node_id)
    block = g.blocks.get(node.type)
    if block is None:
        raise GraphError(f"{node.type} is not a composite block: nothing to ungroup",
                         node=node_id)
    if node.repeat not in (None, 1):
        raise GraphError(f"the block is repeated ({node.repeat}); set repeat to 1 before "
                         f"ungrouping", node=node_id, param="repeat")
    values = {k: node.params.get(k, v) for k, v in block.params.items()}
    inputs = block.input_ids()
    sources = _sources_by_port(edges, node_id, inputs)
    taken = {n.id for n in nodes if n.id != node_id}
    inner = [n for n in block.nodes if n.type not in PORTS]
    rename = {}
    for n in inner:
        rename[n.id] = n.id if n.id not in taken else _unique(f"{node_id}_{n.id}", taken)
        taken.add(rename[n.id])
    outputs = block.output_ids()
    new_nodes = []
    for n in inner:
        c = copy.deepcopy(n)
        c.id = rename[n.id]
        c.params = {k: _substitute(v, values) for k, v in c.params.items()}
        c.repeat = _substitute(c.repeat, values)
        new_nodes.append(c)
    _place_inside(new_nodes, node.position)
    _make_room(g, nodes, node, new_nodes)

    inner_edges, producers = [], {}
    for e in block.edges:
        if e.source in inputs:  # (outside node, which of its outputs)
            source, source_port = sources.get(e.source, (None, None))
        else:
            source, source_port = rename.get(e.source), e.source_port
        if e.target in outputs:
            producers[e.target] = (source, source_port)
        elif source is not None and e.target in rename:
            inner_edges.append(Edge(source, rename[e.target], e.port, dict(e.extra),
                                    source_port=source_port))
    new_edges = []
    for e in edges:
        if e.target == node_id:
            continue
        if e.source == node_id:
            # the Output the edge takes: by name or index when the block has several
            out = e.source_port if e.source_port in outputs else (
                outputs[e.source_port] if isinstance(e.source_port, int)
                and 0 <= e.source_port < len(outputs) else outputs[0] if outputs else None)
            producer, source_port = producers.get(out, (None, None))
            if producer is not None:
                new_edges.append(Edge(producer, e.target, e.port, dict(e.extra),
                                      source_port=source_port))
            continue
        new_edges.append(e)
    at = nodes.index(node)
    nodes[at:at + 1] = new_nodes
    edges[:] = new_edges + inner_edges
    return g, [n.id for n in new_nodes]


def _sources_by_port(edges: list[Edge], node_id: str,
                     inputs: list[str]) -> dict[str, tuple[str, int | str | None]]:
    """Block Input id → (the outside node feeding it, which of its outputs), by the edges'
    ports (or their order)."""
    out = {}
    into = [e for e in edges if e.target == node_id]
    for i, e in enumerate(into):
        port = e.port if e.port is not None else i
        if isinstance(port, int) and 0 <= port < len(inputs):
            out[inputs[port]] = (e.source, e.source_port)
        elif port in inputs:
            out[port] = (e.source, e.source_port)
    return out


def _place_inside(new_nodes: list[Node], at: list[float] | None) -> None:
    placed = [n.position for n in new_nodes if n.position]
    if at is None or len(placed) != len(new_nodes) or not placed:
        for n in new_nodes:
            n.position = None  # the canvas places them
        return
    # as they stand inside the block, their top-left corner where the block's card was: the
    # room they take more than the card is made right of it and under it (_make_room)
    x0 = min(p[0] for p in placed)
    y0 = min(p[1] for p in placed)
    for n in new_nodes:
        n.position = [round(n.position[0] - x0 + at[0]), round(n.position[1] - y0 + at[1])]


def _make_room(graph: Graph, nodes: list[Node], node: Node, new_nodes: list[Node]) -> None:
    """Move the blocks of the level aside for the inner blocks of ``node`` (placed from its
    card's top-left corner): every block under the card moves down by what the inner blocks
    take more than the card's height, and every block level with the card (after that) and right
    of it moves right by what they take more than its width, with every block right of a moved
    one that stands level with it, so that rows keep their order and no block that stood clear
    of the card is overlapped. Card sizes are the canvas's estimates (:func:`card_size`)."""
    if node.position is None or any(n.position is None for n in new_nodes) or not new_nodes:
        return
    specs = _specs(graph)
    others = [n for n in nodes if n is not node and n.position is not None]
    if not others:
        return
    size = {id(n): card_size(n, specs.get(n.type)) for n in [node, *others, *new_nodes]}
    x0, y0 = node.position
    w0, h0 = size[id(node)]
    inner_w = max(n.position[0] + size[id(n)][0] for n in new_nodes) - x0
    inner_h = max(n.position[1] + size[id(n)][1] for n in new_nodes) - y0
    dx, dy = max(0, round(inner_w - w0)), max(0, round(inner_h - h0))
    if dy:
        for n in others:
            if n.position[1] >= y0 + h0:
                n.position = [n.position[0], n.position[1] + dy]
    if not dx:
        return

    def level(a: Node, top: float, bottom: float) -> bool:
        return a.position[1] < bottom and a.position[1] + size[id(a)][1] > top

    # level with the card and right of its middle, then whatever stands level with and right of
    # a block that moves (it would be run into)
    moving = [n for n in others if level(n, y0, y0 + h0)
              and n.position[0] + size[id(n)][0] / 2 > x0 + w0 / 2]
    chosen = {id(n) for n in moving}
    while moving:
        m = moving.pop()
        for n in others:
            if id(n) not in chosen and n.position[0] >= m.position[0] and level(
                    n, m.position[1], m.position[1] + size[id(m)][1]):
                chosen.add(id(n))
                moving.append(n)
    for n in others:
        if id(n) in chosen:
            n.position = [n.position[0] + dx, n.position[1]]


# what a canvas card takes, as the canvas estimates it before it has measured one (the
# canvas's src/graph.js estimateHeight and headWraps; src/format.js for expressions' lines)
CARD_W = 200
_CARD_H, _ROW_H, _EXPR_H, _HEAD_LINE = 66, 20, 18, 19
_TYPE_PX, _ID_PX, _HEAD_ROOM = 9.6, 8.8, 167
_ROW_PX, _NAME_CHAR_PX, _MONO_CHAR_PX, _EXPR_CHARS = 180, 7.8, 8.2, 21


def _written(value: Any) -> str:
    """A param's value as a card writes it (src/format.js ``written``)."""
    if isinstance(value, list):
        return "[" + ", ".join(_written(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _expr_lines(name: str, value: Any) -> int:
    """The lines a card gives a param written as an expression under its row (none when it
    sits in the row), as the canvas estimates them before it knows the value."""
    if not is_expression(value):
        return 0
    text = _written(value)
    if len(name) * _NAME_CHAR_PX + len(text) * _MONO_CHAR_PX + 20 <= _ROW_PX:
        return 0
    return min(2, -(-len(text) // _EXPR_CHARS))


def card_size(node: Node, spec: dict | None) -> tuple[int, int]:
    """The width and height of ``node``'s card on the canvas as the canvas estimates them
    (``spec``: its catalog entry, see :func:`catalog`): 200 px wide; a head, a row for each key
    param, named input and output, a line or two more for each param written as an expression,
    and a line more when the type and the id do not fit on one (a little generous)."""
    spec = spec or {}
    ports = spec.get("ports") if isinstance(spec.get("ports"), dict) else {}
    rows = len(ports.get("names") or []) if ports.get("kind") == "named" else 0
    keys = list(spec.get("key_params") or [])
    outs = (len(spec.get("output_names") or []) or 2) if spec.get("outputs") == "several" else 0
    defaults = {p.get("name"): p.get("default") for p in spec.get("params") or []
                if isinstance(p, dict)}
    exprs = sum(_expr_lines(k, node.params.get(k, defaults.get(k))) for k in keys)
    if is_expression(node.repeat):
        keys.append("repeat")
        exprs += _expr_lines("repeat", node.repeat)
    composite = bool(spec.get("composite") or spec.get("category") == "Blocks")
    # the repeat badge: ×3, or ×? (×2 once resolved) for an expression
    badge = 0 if node.repeat in (None, 1) else 2 if is_expression(node.repeat) else len(
        f"×{node.repeat}")
    badge = badge * 8 + 16 if badge else 0
    name = node.label or node.id
    wraps = ((len(node.type) + (2 if composite else 0)) * _TYPE_PX + badge
             + len(str(name)) * _ID_PX > _HEAD_ROOM)
    height = (_CARD_H + (_HEAD_LINE if wraps else 0) + _ROW_H * (rows + len(keys) + outs)
              + _EXPR_H * exprs)
    return CARD_W, height


def _specs(graph: Graph) -> dict[str, dict]:
    """Catalog entries by type, as :func:`catalog` gives them (without copying the registry's)."""
    out = {d["type"]: d for d in _registry_catalog()}
    out.update((name, _composite_entry(name, block)) for name, block in graph.blocks.items())
    return out


def _substitute(value: Any, values: dict[str, Any]) -> Any:
    """An inner value with the block's params written in: ``"=channels*2"`` → ``128``."""
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    if not is_expression(value):
        return value
    text = value[1:].strip()
    if text in values:
        return copy.deepcopy(values[text])
    lines = text.splitlines(keepends=True)
    starts = [sum(len(x) for x in lines[:i]) for i in range(len(lines))]
    spans = []  # (start, end, replacement), in text order
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and tok.string in values:
                v = values[tok.string]
                start = starts[tok.start[0] - 1] + tok.start[1]
                spans.append((start, start + len(tok.string),
                              f"({v[1:].strip()})" if is_expression(v) else repr(v)))
    except (tokenize.TokenError, SyntaxError):
        return value  # not an expression the validator accepts either: it says so
    if not spans:
        return value
    for start, end, replacement in reversed(spans):
        text = text[:start] + replacement + text[end:]
    new = "=" + text
    if not _names(new):
        try:
            return evaluate(new, {})
        except ExpressionError:
            pass
    return new


# -- layout -----------------------------------------------------------------------------------

def layout(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, list[int]]:
    """Left-to-right layered positions: each node one column after its latest source; within a
    column, nodes follow the mean row of their sources."""
    ids = [n.id for n in nodes]
    known = set(ids)
    preds: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e.source in known and e.target in known and e.source != e.target:
            preds[e.target].append(e.source)
    column: dict[str, int] = {}

    def col(i: str, trail: frozenset = frozenset()) -> int:
        if i not in column:
            if i in trail:
                return 0  # a cycle: the validator reports it
            column[i] = 1 + max((col(p, trail | {i}) for p in preds[i]), default=-1)
        return column[i]

    for i in ids:
        col(i)
    rows: dict[str, float] = {}
    pos: dict[str, list[int]] = {}
    for c in range(max(column.values(), default=-1) + 1):
        members = [i for i in ids if column[i] == c]
        members.sort(key=lambda i: (sum(rows[p] for p in preds[i]) / len(preds[i])
                                    if preds[i] else ids.index(i)))
        for r, i in enumerate(members):
            rows[i] = r
            pos[i] = [c * X_STEP, r * Y_STEP]
    return pos


def _apply_layout(nodes: list[Node], edges: list[Edge]) -> None:
    pos = layout(nodes, edges)
    for n in nodes:
        n.position = pos[n.id]


def auto_layout(graph: Graph, path: Sequence[str] = ()) -> Graph:
    g, nodes, edges = _copy_level(graph, path)
    _apply_layout(nodes, edges)
    return g


# -- read-outs: catalog, annotations, totals, the expanded model --------------------------------

@lru_cache(maxsize=1)
def _registry_catalog() -> tuple[dict, ...]:
    return tuple(spec.describe() for spec in all_blocks())


def catalog(graph: Graph) -> list[dict]:
    """Palette entries: every registered block's ``describe()``, then the graph's composite
    blocks (category ``"Blocks"``, ports named by their Input ids; one with several Output
    nodes has ``"outputs": "several"`` and ``"output_names"``, their ids in node order)."""
    out = [copy.deepcopy(d) for d in _registry_catalog()]
    out.extend(_composite_entry(name, block) for name, block in graph.blocks.items())
    return out


def _composite_entry(name: str, block) -> dict:
    """The palette entry of the graph's composite block ``name`` (see :func:`catalog`)."""
    inputs = block.input_ids()
    ports = ({"kind": "single", "names": [], "min": 1, "max": 1} if len(inputs) == 1 else
             {"kind": "named", "names": inputs, "min": len(inputs), "max": len(inputs)})
    params = [{"name": k, "kind": _kind_of(v), "default": v, "help": "", "min": None,
               "max": None, "choices": None, "length": None, "nullable": False}
              for k, v in block.params.items()]
    entry = {"type": name, "category": "Blocks", "composite": True,
             "help": block.description or f"composite block of {len(block.nodes)} nodes",
             "doc_url": None, "params": params, "inferred": [], "ports": ports,
             "key_params": list(block.params)[:3]}
    outputs = block.output_ids()
    if len(outputs) > 1:
        entry["outputs"] = "several"
        entry["output_names"] = outputs
    return entry


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def instances(level: Level, block_name: str) -> Iterator[Level]:
    """Every resolved copy of ``block_name`` under ``level``, depth first, in model order."""
    for info in level.nodes.values():
        if info.block is None:
            continue
        for copy_level in info.copies:
            if info.block.name == block_name:
                yield copy_level
            yield from instances(copy_level, block_name)


def use_levels(top: Level, path: Sequence[str], uses: Sequence[str] = ()) -> list[Level]:
    """Every resolved copy of the level ``path`` opens (the top level for ``()``), the one of
    the use opened first: ``uses`` names the node opened at each step (``("stage5",)`` for
    ``path`` ``("Stage",)``), as each use resolves the shared block with its own params and
    input shape. Without ``uses`` (or a use no longer there), the block's first use leads."""
    if not path:
        return [top]
    levels = list(instances(top, path[-1]))
    if len(uses) == len(path):
        want = "/".join(uses) + "/"
        opened = next((i for i, lv in enumerate(levels) if lv.prefix.startswith(want)), None)
        if opened is not None:
            levels.insert(0, levels.pop(opened))
    return levels


def annotations(report: Report, path: Sequence[str] = (), uses: Sequence[str] = ()) -> dict:
    """What the canvas shows for one level: per node its output shape, params, MACs, errors and
    warnings (and ``notes``, why its shape was not worked out, where one was not: the canvas
    shows no badge for them; the inspector says them) (a node with several outputs also ``ports``, their names, and ``output_shapes``;
    a node with params written as expressions also ``values``, what they resolved to, see
    :func:`resolved_values`; a node whose problems name a param of its own also ``bad_params``,
    their names), and per edge the shape it carries (an edge with ``source_port`` is keyed
    ``"<source>:<source_port>-><target>"`` and carries that output's shape).

    Inside a block, shapes and values are those of the use opened (``uses``: the node opened at
    each step, see :func:`use_levels`), else of its first use; problems of the other uses are
    listed too, prefixed with where they happen. A problem deeper down also marks the composite node that
    holds it (``layer1/c1: …`` shows on ``layer1``).
    """
    res = report.resolution
    nodes, edges = nodes_edges(res.graph, path)
    out_nodes: dict[str, dict] = {n.id: {"output_shape": None, "params": 0, "macs": 0,
                                         "errors": [], "warnings": []} for n in nodes}
    levels = use_levels(res.top, path, uses)
    if levels:
        for local_id, info in levels[0].nodes.items():
            if local_id in out_nodes:
                out_nodes[local_id].update(output_shape=_shape(info), params=info.n_params,
                                           macs=info.macs)
                # at the top, what the variables alone give shows even on a block behind an
                # error (fc's "=classes" still reads 2 while the encoder before it is wrong)
                values = resolved_values(info, res.variables if not path else None)
                if values:
                    out_nodes[local_id]["values"] = values
                if info.ports is not None and info.repeat != 0:
                    out_nodes[local_id].update(
                        ports=list(info.ports),
                        output_shapes=[list(s) for s in info.port_shapes])
    for problem in res.problems:
        for i, level in enumerate(levels):
            local = local_at(problem.node, level.prefix, out_nodes)
            if local is None:
                continue
            node_id, rest = local
            text = f"{rest}: {problem.message}" if rest else problem.message
            if i:
                text = f"in {level.prefix.rstrip('/')}: {text}"
            if problem.severity == "info":
                # "shape not checked behind an error": no badge, but the reason its shape
                # and counts are missing (the inspector says it)
                notes = out_nodes[node_id].setdefault("notes", [])
                if text not in notes:
                    notes.append(text)
                break
            bucket = out_nodes[node_id]["errors" if problem.severity == "error" else "warnings"]
            if text not in bucket:
                bucket.append(text)
            if problem.param and not rest and not i:
                # the param at fault, for the card to show (a Linear's in_features=8 is no
                # key param: the card showed out_features only, beside '1 error')
                faulty = out_nodes[node_id].setdefault("bad_params", [])
                if problem.param not in faulty:
                    faulty.append(problem.param)
            break
    out_edges = {}
    for e in edges:
        source = out_nodes.get(e.source, {})
        shape = source.get("output_shape")
        if e.source_port is None:
            out_edges[f"{e.source}->{e.target}"] = {"shape": shape}
            continue
        ports, shapes = source.get("ports"), source.get("output_shapes")
        index = e.source_port if isinstance(e.source_port, int) else (
            ports.index(e.source_port) if ports and e.source_port in ports else None)
        picked = shapes[index] if shapes and index is not None and 0 <= index < len(shapes) \
            else None
        out_edges[f"{e.source}:{e.source_port}->{e.target}"] = {"shape": picked}
    return {"nodes": out_nodes, "edges": out_edges}


def resolved_values(info: NodeInfo, variables: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """What the node's expressions came to: ``{"out_channels": 48}`` for
    ``"out_channels": "=round(32*width)"`` at width 1.5 (a list with an expression in it, whole),
    and ``"repeat"`` when the repeat is one. Params written as plain values are left out (the
    canvas shows them as they are), and so is what did not resolve (an error says why).

    ``variables``: for a node never built (behind an error), an expression of the design's
    variables alone is worked out from them (``"=classes"`` → 2); one that needs more (the
    input's shape) is left out.
    """
    node = info.node
    copy = info.copies[0] if info.copies else None
    resolved = copy.params if isinstance(copy, (Layer, Level)) else {}
    out: dict[str, Any] = {}
    for name, raw in node.params.items():
        written = is_expression(raw) or (isinstance(raw, list) and any(map(is_expression, raw)))
        if written and name in resolved:
            value = resolved[name]
            out[name] = list(value) if isinstance(value, tuple) else value
        elif written and copy is None and variables is not None:
            value = _from_variables(raw, variables)
            if value is not None:
                out[name] = value
    if is_expression(node.repeat) and info.shape is not None:  # set before the shape is
        out["repeat"] = info.repeat
    elif is_expression(node.repeat) and variables is not None:
        repeat = _from_variables(node.repeat, variables)
        if isinstance(repeat, int) and not isinstance(repeat, bool):
            out["repeat"] = repeat
    return out


def _from_variables(raw: Any, variables: Mapping[str, Any]) -> Any:
    """``raw`` (an expression, or a list holding some) worked out from ``variables`` alone;
    None where it needs anything else or does not evaluate."""
    items = raw if isinstance(raw, list) else [raw]
    values = []
    for item in items:
        if not is_expression(item):
            values.append(item)
            continue
        try:
            if not names_in(item) <= set(variables):
                return None
            values.append(evaluate(item, variables))
        except ExpressionError:
            return None
    return values if isinstance(raw, list) else values[0]


def node_info(report: Report, path: Sequence[str], node_id: str,
              uses: Sequence[str] = ()) -> NodeInfo | None:
    """How a node of one level resolved (inside a block: in the use opened, ``uses``, else in
    the block's first use: see :func:`use_levels`)."""
    levels = use_levels(report.resolution.top, path, uses)
    return levels[0].nodes.get(node_id) if levels else None


def _shape(info: NodeInfo) -> list[int] | None:
    return list(info.shape) if info.shape is not None else None


def local_at(problem_path: str | None, prefix: str, ids) -> tuple[str, str] | None:
    """``("layer1", "c1")`` for ``layer1/c1`` at the top level (``prefix`` a level's, as
    :func:`use_levels` gives them; ``ids`` the nodes shown there): the node there that holds it,
    and the rest of the path; None when not at this level."""
    if not problem_path or not problem_path.startswith(prefix):
        return None
    head, _, rest = problem_path[len(prefix):].partition("/")
    return (head, rest) if head in ids else None


def locate(graph: Graph, problem_path: str) -> tuple[LevelPath, str] | None:
    """Where a problem's node lives: ``"layer2/0/c1"`` → ``(("BasicBlock",), "c1")``.

    None when the path names no node (a graph-wide problem, or one of a deleted node).
    """
    parts = [p for p in (problem_path or "").split("/") if p]
    path: list[str] = []
    nodes = graph.nodes
    while parts:
        node = next((n for n in nodes if n.id == parts[0]), None)
        if node is None:
            return None
        parts.pop(0)
        block = graph.blocks.get(node.type)
        if not parts or block is None:
            return tuple(path), node.id
        if parts[0].isdigit() and not any(n.id == parts[0] for n in block.nodes):
            parts.pop(0)  # the copy number of a repeated block
        path.append(node.type)
        nodes = block.nodes
    return None


@dataclass
class Totals:
    """The status bar's figures. ``activation_bytes`` (one sample's forward pass) is known only
    for a valid graph; params and MACs count the nodes that resolved."""

    params: int
    macs: int
    activation_bytes: int | None
    errors: int
    warnings: int

    @property
    def ok(self) -> bool:
        return self.errors == 0


def totals(report: Report) -> Totals:
    top = report.resolution.top
    activation = summarize(report).activation_bytes if report.ok else None
    return Totals(top.n_params, top.macs, activation, len(report.errors), len(report.warnings))


@dataclass
class ModelLayer:
    """One primitive of the expanded model, with the layers that feed it."""

    path: str
    info: NodeInfo
    layer: Layer
    inputs: list[str] = field(default_factory=list)

    @property
    def activation_bytes(self) -> int:
        return prod(self.layer.shape) * BYTES.get(self.info.dtype or "float32", 4)


def expanded(top: Level) -> list[ModelLayer]:
    """The model with composites unrolled, as ``Level.leaves()`` yields it, plus the wiring:
    each layer's ``inputs`` are the paths of the layers it reads."""
    out: list[ModelLayer] = []
    _walk(top, {}, out, top=True)
    return out


def _walk(level: Level, ports: dict[str, list[str]], out: list[ModelLayer], top: bool
          ) -> list[list[str]]:
    """Adds ``level``'s layers to ``out``; ``ports`` maps its Input ids to outer producers.
    Returns the producers of each of its Outputs, in order."""
    made: dict[str, list[list[str]]] = {}  # node -> the producers of each of its outputs

    def out_of(source: str, port: int | None) -> list[str]:
        outputs = made.get(source) or [[]]
        return outputs[port] if port is not None and port < len(outputs) else outputs[0]

    for local_id, info in level.nodes.items():
        if not info.used or not info.ok:
            continue
        picks = info.input_ports or [None] * len(info.inputs)
        feeds = [p for s, port in zip(info.inputs, picks) for p in out_of(s, port)]
        if info.type == "Input" and not top:
            made[local_id] = [ports.get(local_id, [])]
        elif info.type == "Output" and not top:
            made[local_id] = [feeds]
        elif info.repeat == 0:
            made[local_id] = [out_of(info.inputs[0], picks[0]) if info.inputs else []]
        elif info.block is not None:
            current: list[list[str]] = []
            for k, copy_level in enumerate(info.copies):
                if k == 0:  # each port reads its own source; later copies chain on port 0
                    inner_ports = {port: out_of(source, pick) for port, source, pick
                                   in zip(copy_level.inputs, info.inputs, picks)}
                else:
                    inner_ports = {copy_level.inputs[0]: current[0] if current else []}
                current = _walk(copy_level, inner_ports, out, top=False)
            made[local_id] = current
        else:
            chain = feeds
            many = len(info.copies) > 1
            for i, layer in enumerate(info.copies):
                path = f"{info.path}/{i}" if many else info.path
                out.append(ModelLayer(path, info, layer, list(chain)))
                chain = [path]
            made[local_id] = [chain] * (len(info.ports) if info.ports else 1)
    return [made[o][0] for o in level.outputs if o in made]
