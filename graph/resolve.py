"""Resolution: a graph with its variables, composites and repeats made concrete.

:func:`resolve` walks the graph once in topological order. For every node it evaluates ``repeat``
and params (expressions included), checks them against the block's declaration, infers the
output shape, and counts parameters and MACs. Composite blocks are resolved recursively, once per
copy. Every problem is collected, never raised, so the user sees them all at once; a node whose
inputs failed is skipped quietly so one mistake does not cascade into a dozen messages.

Before anything is expanded, the work the graph asks for is checked against its budgets
(:mod:`.limits`): composite nesting depth, and the number of resolved layers with composites and
repeats multiplied out (estimated with memoisation, so a 40-level doubling costs 40 steps). While
resolving, a counter of the layers actually made backs the estimate up; afterwards the model's
parameters and activations are checked against the memory budget. Over budget is an error naming
the node and the figure, and resolution stops there.

The result feeds validation, summaries, the compiler and code generation alike.
"""

from __future__ import annotations

import difflib
import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .blocks.common import prod, show
from .breaks import dangling_outputs, left_out_warnings
from .errors import Problem, ShapeError
from .expressions import (ExpressionError, evaluate, is_expression, names_in, unknown_name,
                          variable_name_problem)
from .limits import Limits, hint
from .model import Block, Edge, Graph, Node
from .node_ids import id_fault
from .params import ParamError, in_quotes
from .provenance import origin, said_variables, variables_behind
from .registry import BlockSpec, find_block, unknown_type_message
from .suggest import did_you_mean
from .stacked_linear import stacked_linear

Shape = tuple[int, ...]
# the blocks that take an Input of shape [] (one value per sample: a class id per image)
_TAKE_ONE_VALUE = ("Embedding", "Output", "Identity")
# what an Input's shape is for each kind of data: a text model's newcomer was shown images and
# features only, and left to guess that token ids are [length] with dtype int64
SHAPE_EXAMPLES = ("e.g. [1, 28, 28] for images, [16] for features, or [64] with dtype int64 "
                  "for texts (64 token ids each, into an Embedding)")
BYTES = {"float32": 4, "int64": 8}
GIB = 1 << 30


@dataclass
class Layer:
    """One concrete copy of a primitive block: what the compiler builds."""

    params: dict
    in_shapes: list[Shape]
    shape: Shape
    n_params: int
    macs: int
    shapes: list[Shape] | None = None  # a block with several outputs: each port's shape


@dataclass
class NodeInfo:
    path: str  # "conv1", or "layer1/c1" inside a composite
    node: Node
    spec: BlockSpec | None  # None for a composite
    block: Block | None  # the composite's definition
    inputs: list[str] = field(default_factory=list)  # local ids of the sources, port order
    in_shapes: list[Shape] = field(default_factory=list)
    shape: Shape | None = None
    dtype: str | None = None
    repeat: int = 1
    copies: list = field(default_factory=list)  # [Layer] or [Level] per copy
    used: bool = True
    # which output of each source (parallel to ``inputs``): None for a source with one output,
    # else the index of its port
    input_ports: list[int | None] = field(default_factory=list)
    # a node with several outputs (Chunk, Split, a composite with several Output nodes): its
    # port names, shapes and dtypes in order (``shape``/``dtype`` are the first's); else None
    ports: list[str] | None = None
    port_shapes: list[Shape] = field(default_factory=list)
    port_dtypes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def type(self) -> str:
        return self.node.type

    @property
    def ok(self) -> bool:
        return self.shape is not None

    @property
    def n_params(self) -> int:
        if self.block is not None:
            return sum(level.n_params for level in self.copies)
        return sum(layer.n_params for layer in self.copies)

    @property
    def macs(self) -> int:
        if self.block is not None:
            return sum(level.macs for level in self.copies)
        return sum(layer.macs for layer in self.copies)


@dataclass
class Level:
    """One resolved graph level: the main graph, or one copy of a composite block."""

    prefix: str
    # a composite's copy: the values its params resolved to (the main graph: none)
    params: dict = field(default_factory=dict)
    nodes: dict[str, NodeInfo] = field(default_factory=dict)  # in topological order
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # the nodes an Input feeds and the nodes that lead to an Output, along the edges (whatever
    # the nodes' own problems); ``sure``: every edge names nodes that exist
    reach: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    sure: bool = True
    cut: set[str] = field(default_factory=set)  # targets of an edge from a missing node
    # each node's sources along the level's edges (those naming two distinct nodes that exist)
    sources: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # each node's type, all known at once

    @property
    def n_params(self) -> int:
        return sum(n.n_params for n in self.nodes.values() if n.used)

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self.nodes.values() if n.used)

    def leaves(self, top: bool = True):
        """``(path, NodeInfo, Layer or None)`` for every primitive node in the model, composites
        unrolled; a primitive repeated k ≥ 2 times yields its copies as ``path/0``…"""
        for info in self.nodes.values():
            if not info.used or not info.ok:
                continue
            if info.block is not None:
                for level in info.copies:
                    yield from level.leaves(top=False)
            elif info.spec.type in ("Input", "Output") and not top or info.repeat == 0:
                continue
            elif len(info.copies) == 1:
                yield info.path, info, info.copies[0]
            else:
                for i, layer in enumerate(info.copies):
                    yield f"{info.path}/{i}", info, layer


@dataclass
class Resolution:
    graph: Graph
    variables: dict[str, Any]
    top: Level
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def infos(self) -> list[Problem]:
        """Notes that are neither errors nor warnings (e.g. a shape not checked because a node
        it depends on has an error)."""
        return [p for p in self.problems if p.severity == "info"]

    @property
    def ok(self) -> bool:
        return not self.errors


def resolve(graph: Graph, variables: Mapping[str, Any] | None = None, *,
            limits: Limits | None = None) -> Resolution:
    """Resolve ``graph``; ``variables`` overrides the graph's own values (sliders, sweeps);
    ``limits`` sets the work budgets (unset fields: environment variables, then defaults)."""
    # Resolution allocates many small objects and frees none of them until it returns; the
    # cyclic collector's repeated full passes over them would make its cost grow faster than the
    # graph, so it is paused for the walk.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _Resolver(graph, variables, (limits or Limits()).resolved()).run()
    finally:
        if paused:
            gc.enable()


class _OverBudget(Exception):
    """Raised inside the walk when the layers made exceed the budget; ``run`` reports it."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def _later_variables(raw: str, order: list[str], position: int) -> list[str]:
    """The variables listed at ``position`` or after it that expression ``raw`` uses, in the
    order they are listed ([] when it cannot be parsed: its own error says why)."""
    try:
        used = names_in(raw)
    except ExpressionError:
        return []
    return [n for n in order[position:] if n in used]


def _order_message(name: str, raw: str, other: str, variables: Mapping[str, Any]) -> str:
    if other == name:
        return f"variable '{name}' = {_clip(raw)} uses itself"
    message = (f"variable '{name}' = {_clip(raw)} uses '{other}', which is listed after it: "
               f"a variable may use only the variables listed before it")
    theirs = variables.get(other)
    if is_expression(theirs) and name in _later_variables(theirs, [name], 0):
        return message + f"; '{other}' in turn uses '{name}': the two refer to each other"
    return message + f"; move '{other}' above '{name}'"


class _Resolver:
    def __init__(self, graph: Graph, overrides: Mapping[str, Any] | None,
                 limits: Limits | None = None):
        self.graph = graph
        self.overrides = dict(overrides or {})
        self.limits = limits or Limits().resolved()
        self.problems: list[Problem] = []
        self.variables: dict[str, Any] = {}
        self.bad_variables: set[str] = set()  # variables whose value is an error
        self.bad_blocks: dict[str, str] = {}
        self.depth: dict[str, int] = {}  # composite block -> nesting depth (1: primitives only)
        self.spent = 0  # layers made so far (nodes, and their copies beyond the first)
        self.skipped: dict[str, str] = {}  # path -> the node with an error it depends on
        self.left_out: set[str] = set()  # paths fed by nothing and leading to no Output
        self.weights: dict[int, int] = {}  # id(node) -> layers one copy counts as (weight())
        # id(a composite's params) -> (those params, the path of the node giving them, its
        # params as written, the block's defaults, the params around that node): a problem
        # with a value worked out from them names the variable to change (origin())
        self.givers: dict[int, tuple[dict, str, dict, dict, dict]] = {}
        # the model's Inputs whose shape variables set: "image's shape [1, 4] follows the
        # variable length = 4", said with a shape problem no param's expression explains
        self.scaled_inputs: list[str] = []
        self.made_params = 0  # parameters and activation elements of every layer made, used or
        self.made_activations = 0  # not: an upper bound that spares the exact count mostly

    # -- problems ----------------------------------------------------------------------------

    def error(self, node: str | None, message: str, param: str | None = None,
              edge: str | None = None) -> None:
        self.problems.append(Problem(node, message, param, edge))

    def warn(self, node: str | None, message: str, param: str | None = None) -> None:
        self.problems.append(Problem(node, message, param, severity="warning"))

    def note(self, node: str | None, message: str) -> None:
        self.problems.append(Problem(node, message, severity="info"))

    def origin(self, name: str, raw: Any, block_params: dict,
               in_shape: Shape | None = None) -> str:
        """`` (out_channels = round(32*width), with the variable width = 0.01)``: where a
        value given as an expression came from, for the problem it causes; "" for a number."""
        giver = self.givers.get(id(block_params))
        return origin(raw, self.variables, block_params, name=name,
                      owner=giver[1] if giver else None, origins=self._origins(block_params),
                      in_shape=in_shape)

    def _origins(self, block_params: dict) -> dict[str, dict[str, Any]]:
        """The graph variables behind each of a composite's params (worked out only for a
        problem, so that resolving pays nothing for it)."""
        giver = self.givers.get(id(block_params))
        if giver is None:
            return {}
        _, _, given, defaults, outer = giver
        around = self._origins(outer)
        return {name: variables_behind(given[name], self.variables, outer, around)
                if name in given else variables_behind(default, self.variables, {})
                for name, default in defaults.items()}

    def weight(self, node: Node) -> int:
        """How many layers one copy of ``node`` counts as: 1, plus one for every
        ``_VALUES_PER_LAYER`` values its param lists hold beyond ``_FREE_VALUES`` (each value
        is checked, and maybe evaluated, once per copy)."""
        key = id(node)
        weight = self.weights.get(key)
        if weight is None:
            items = 0
            # only the params its type takes are checked per copy: one it does not take is
            # refused by name, however long (a million values in one was said as a design of
            # a million layers, and the param not named)
            spec = find_block(node.type)
            block = self.graph.blocks.get(node.type)
            taken = {p.name for p in spec.params} if spec is not None else \
                set(block.params) if block is not None else None
            stack = [v for name, v in node.params.items()
                     if isinstance(v, list) and (taken is None or name in taken)]
            while stack:
                value = stack.pop()
                items += len(value)
                stack.extend(v for v in value if isinstance(v, list))
            weight = 1 + max(0, items - _FREE_VALUES) // _VALUES_PER_LAYER
            self.weights[key] = weight
        return weight

    def spend(self, path: str, layers: int) -> None:
        """Count ``layers`` more made; over the budget, stop the walk."""
        self.spent += layers
        if self.spent > self.limits.max_layers:
            raise _OverBudget(path)

    # -- the whole graph ---------------------------------------------------------------------

    def run(self) -> Resolution:
        self._variables()
        self._check_block_definitions()
        if not self._within_budget():
            return Resolution(self.graph, self.variables, Level(""), self.problems)
        try:
            top = self._level(self.graph.nodes, self.graph.edges, {}, None, "")
        except _OverBudget as over:
            self.error(over.path, f"the design resolves to more than "
                                  f"{self.limits.max_layers:,} layers (composites and repeats "
                                  f"multiplied out), the limit; {hint('max_layers')}")
            return Resolution(self.graph, self.variables, Level(""), self.problems)
        except RecursionError:  # only with a depth limit raised far beyond its default
            self.error(None, f"composite blocks are nested too deeply to resolve (the limit is "
                             f"{self.limits.max_depth}); lower LAYERLOOM_MAX_DEPTH")
            return Resolution(self.graph, self.variables, Level(""), self.problems)
        # judged by the nodes that exist: one stuck in a cycle is still there
        types = {node.type for node in self.graph.nodes}
        if "Input" not in types:
            self.error(None, "the graph has no Input node: add one to feed the model")
        if "Output" not in types:
            self.error(None, "the graph has no Output node: add one after the last layer")
        self._mark_unused(top, "the model")
        # the model's arguments are the Inputs it keeps: one left out is no argument of it
        top.inputs = [i for i in top.inputs if top.nodes[i].used]
        self._top_warnings(top)
        self._check_model_size(top)
        return Resolution(self.graph, self.variables, top, self.problems)

    def _variables(self) -> None:
        unknown = set(self.overrides) - set(self.graph.variables)
        for name in sorted(unknown):
            meant = did_you_mean(name, self.graph.variables).strip()[1:-1]
            self.error(None, f"no variable '{name}' to set ({meant + ' ' if meant else ''}the "
                             f"graph has {', '.join(self.graph.variables) or 'none'})",
                       param=name)
        order = list(self.graph.variables)
        for position, (name, value) in enumerate(self.graph.variables.items()):
            if name in self.overrides:
                value = self.overrides[name]
            bad_name = variable_name_problem(name)
            if bad_name:
                self.error(None, bad_name, param=name)
                self.bad_variables.add(name)
                continue
            if is_expression(value):
                later = _later_variables(value, order, position)
                if later:
                    self.error(None, _order_message(name, value, later[0], self.graph.variables),
                               param=name)
                    self.bad_variables.add(name)
                    continue
                if self._broken_names(value):  # its own error is said: not this consequence
                    self.bad_variables.add(name)
                    continue
                try:
                    value = evaluate(value, dict(self.variables))
                except ExpressionError as exc:
                    self.error(None, f"variable '{name}' = {value!r}: {exc}", param=name)
                    self.bad_variables.add(name)
                    continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.error(None, f"variable '{name}' must be a number, got {value!r}", param=name)
                self.bad_variables.add(name)
                continue
            self.variables[name] = value

    def _broken_names(self, raw: str, block_params: Mapping[str, Any] | None = None
                      ) -> list[str]:
        """The variables with an error (reported where they are defined) that the expression
        ``raw`` uses, block params of the same name aside; [] when it cannot be parsed."""
        if not self.bad_variables:
            return []
        try:
            used = names_in(raw)
        except ExpressionError:
            return []
        return sorted(n for n in used if n in self.bad_variables
                      and n not in (block_params or {}))

    def _not_checked(self, info: NodeInfo, name: str, broken: list[str]) -> None:
        """A param that uses a variable with an error: a note, and the node's consumers say
        they depend on that variable."""
        what = f"variable '{broken[0]}'"
        self.skipped.setdefault(info.path, what)
        self.note(info.path, f"{name} not checked: it uses {what}, which has an error")

    def _check_block_definitions(self) -> None:
        blocks = self.graph.blocks
        for name, block in blocks.items():
            if find_block(name) is not None:
                self.error(None, f"block '{name}' has the name of a built-in block type; "
                                 f"rename it")
                self.bad_blocks[name] = "it shadows a built-in block"
            outputs = block.output_ids()
            if not outputs:
                self.error(None, f"block '{name}' needs at least one Output node (its output; "
                                 f"with several, they are its output ports, named by id)")
                self.bad_blocks[name] = "it has no Output node"
            if not block.input_ids():
                self.error(None, f"block '{name}' needs at least one Input node (its input "
                                 f"ports)")
                self.bad_blocks[name] = "it has no Input node"
            for key, value in block.params.items():
                if not (is_expression(value) or isinstance(value, (int, float, bool))):
                    self.error(None, f"block '{name}': param '{key}' default must be a number "
                                     f"or an \"=expression\", got {value!r}"
                                     f"{in_quotes(value, 'float')}", param=key)
        # a block may use other blocks, never itself (directly or through others)
        uses = {name: list(dict.fromkeys(n.type for n in block.nodes if n.type in blocks))
                for name, block in blocks.items()}
        depth = _depths(uses)  # blocks on or leading to a loop are left out
        looping = [name for name in blocks if name not in depth]
        for i, name in enumerate(looping):
            loop = _block_loop(name, uses, set(looping)) if i < _LOOPS_TRACED else None
            if loop:
                self.error(None, f"block '{name}' uses itself ({' → '.join(loop)})")
                self.bad_blocks[name] = f"it uses itself ({' → '.join(loop)})"
            elif i >= _LOOPS_TRACED:
                self.bad_blocks[name] = "it uses blocks that use themselves"
        self._check_unused_blocks(uses)
        # nesting depth as resolution will walk it: blocks that cannot be used are not entered
        self.depth = _depths({name: [c for c in children if c not in self.bad_blocks]
                              for name, children in uses.items() if name not in self.bad_blocks})

    def _check_unused_blocks(self, uses: dict[str, list[str]]) -> None:
        """A block no node uses is never resolved, so its mistakes would wait until someone
        uses it: the ones seen without resolving (a node of an unknown type) are warned of."""
        blocks = self.graph.blocks
        used: set[str] = set()
        todo = [n.type for n in self.graph.nodes if n.type in blocks]
        while todo:
            name = todo.pop()
            if name not in used:
                used.add(name)
                todo += uses.get(name, [])
        for name, block in blocks.items():
            if name in used:
                continue
            for node in block.nodes:
                if node.type not in blocks and find_block(node.type) is None:
                    self.warn(None, f"block '{name}' (not used yet), node '{node.id}': "
                                    f"{unknown_type_message(node.type, list(blocks))}")

    # -- budgets -----------------------------------------------------------------------------

    def _within_budget(self) -> bool:
        """Check nesting depth and the number of resolved layers before expanding anything;
        report the node that goes over and return False when the graph is over budget."""
        limits = self.limits
        blocks = self.graph.blocks
        composite = [n for n in self.graph.nodes
                     if n.type in blocks and n.type in self.depth and find_block(n.type) is None]
        deepest = max(composite, key=lambda n: self.depth[n.type], default=None)
        if deepest is not None and self.depth[deepest.type] > limits.max_depth:
            chain = [deepest.type]
            while len(chain) < 5 and self.depth.get(chain[-1], 1) > 1:
                chain.append(max((c for c in dict.fromkeys(
                    n.type for n in blocks[chain[-1]].nodes) if c in self.depth),
                    key=self.depth.__getitem__))
            more = " → …" if self.depth[deepest.type] > len(chain) else ""
            self.error(deepest.id, f"composite blocks are nested {self.depth[deepest.type]:,} "
                                   f"deep here ({' → '.join(chain)}{more}), more than the limit "
                                   f"of {limits.max_depth}; {hint('max_depth')}")
            return False
        counter = _LayerCount(self, max(limits.max_layers, _MIN_VISITS))
        try:
            per_node = [(node, counter.node(node, {})) for node in self.graph.nodes]
        except _OverBudget as over:
            self.error(over.path, f"the design resolves to more than {limits.max_layers:,} "
                                  f"layers (composites and repeats multiplied out), the limit; "
                                  f"{hint('max_layers')}")
            return False
        except RecursionError:
            self.error(None, f"composite blocks are nested too deeply to resolve (the limit is "
                             f"{limits.max_depth}); lower LAYERLOOM_MAX_DEPTH")
            return False
        total = sum(n for _, n in per_node)
        if total <= limits.max_layers:
            return True
        node, alone = max(per_node, key=lambda item: item[1])
        self.error(node.id, f"the design resolves to {_figure(total)} layers (composites and "
                            f"repeats multiplied out; this node alone {_figure(alone)}), more "
                            f"than the limit of {limits.max_layers:,}; {hint('max_layers')}",
                   param="repeat" if node.repeat is not None else None)
        return False

    def _check_model_size(self, top: Level) -> None:
        """Parameters (float32) and one sample's activations against the memory budget."""
        budget = self.limits.max_model_bytes
        if self.made_params * 4 <= budget and self.made_activations * 4 <= budget:
            return
        weights: dict[str, int] = {}
        activations: dict[str, int] = {}
        for info in top.nodes.values():
            if info.used and info.ok:
                weights[info.path] = info.n_params * 4
        for path, info, layer in top.leaves():
            if info.type not in ("Input", "Output", "Identity"):
                head = path.split("/", 1)[0]
                activations[head] = activations.get(head, 0) + prod(layer.shape) * 4
        for what, sizes in (("parameters", weights), ("activations", activations)):
            total = sum(sizes.values())
            if total <= budget:
                continue
            node, alone = max(sizes.items(), key=lambda item: item[1])
            if what == "parameters":
                figure = (f"{total // 4:,} parameters, {_gib(total)} as float32 "
                          f"(this node alone {alone // 4:,})")
            else:
                figure = (f"{_gib(total)} of activations for one sample's forward pass "
                          f"(this node alone {_gib(alone)})")
            self.error(node, f"the model needs {figure}, more than the memory budget of "
                             f"{_gib(budget)}; {hint('max_model_bytes')}")

    # -- one level ---------------------------------------------------------------------------

    def _level(self, nodes: list[Node], edges: list[Edge], block_params: dict,
               in_shapes: list[tuple[Shape, str]] | None, prefix: str,
               block: str | None = None) -> Level:
        level = Level(prefix, params=dict(block_params))
        by_id: dict[str, Node] = {}
        for node in nodes:
            path = prefix + node.id
            fault = id_fault(node.id)
            if fault:
                self.error(path, fault)
            if node.id in by_id:
                self.error(path, f"duplicate id '{node.id}': node ids must be unique")
                continue
            by_id[node.id] = node
        incoming = self._incoming(by_id, edges, prefix)
        for node_id, node in by_id.items():  # said here: one on a cycle is never walked
            if node.type == "Input" and incoming[node_id]:
                sources = list(dict.fromkeys(s for s, *_ in incoming[node_id]))
                self.error(prefix + node_id, f"an Input cannot have incoming edges (from "
                                             f"{', '.join(sources)}); remove "
                                             f"{'that edge' if len(sources) == 1 else 'them'}: "
                                             f"an Input takes the model's data",
                           edge=incoming[node_id][0][3])
        order = self._topological(by_id, incoming, prefix)
        level.reach = _reach(by_id, incoming)
        level.sources = {n: list(dict.fromkeys(s for s, *_ in froms))
                         for n, froms in incoming.items()}
        level.kinds = {node_id: node.type for node_id, node in by_id.items()}
        # an edge naming a missing node leaves unknown what it was meant to join: whether a
        # node is on a path is then not said
        level.sure = all(e.source in by_id and e.target in by_id for e in edges)
        level.cut = {e.target for e in edges if e.source not in by_id and e.target in by_id}
        input_index = 0
        # Inputs are the model's arguments (a composite's ports) and Outputs its results in the
        # order the nodes are listed, whatever order the data flows in
        position = {node_id: i for i, node_id in enumerate(by_id)}
        ports = [node_id for node_id, node in by_id.items() if node.type == "Input"]
        for node_id in order:
            node = by_id[node_id]
            info = NodeInfo(prefix + node_id, node, None, None)
            level.nodes[node_id] = info
            self.spend(info.path, self.weight(node))
            if node.type == "Input":
                level.inputs.append(node_id)
                info.spec = find_block("Input")
                self._input(info, block_params, in_shapes, ports.index(node_id), block)
                input_index += 1
                continue
            if node.type == "Output":
                level.outputs.append(node_id)
            self._node(info, incoming[node_id], level, block_params)
        if in_shapes is not None and input_index != len(in_shapes):
            pass  # reported where the block is used (port count)
        level.inputs.sort(key=position.__getitem__)
        level.outputs.sort(key=position.__getitem__)
        self._mark_unused(level, "its block" if prefix else "the model")
        return level

    def _incoming(self, by_id: dict[str, Node], edges: list[Edge],
                  prefix: str) -> dict[str, list[tuple[str, int | str | None]]]:
        incoming: dict[str, list] = {node_id: [] for node_id in by_id}
        for edge in edges:
            missing = [end for end in (edge.source, edge.target) if end not in by_id]
            if missing:
                node = prefix + (edge.target if edge.target in by_id else edge.source)
                self.error(node, f"edge {edge}: no node '{missing[0]}'", edge=str(edge))
                continue
            if edge.source == edge.target:
                self.error(prefix + edge.source, f"edge {edge} connects a node to itself "
                                                 f"(cycle: {edge.source} → {edge.source})",
                           edge=str(edge))
                continue
            incoming[edge.target].append((edge.source, edge.port, edge.source_port,
                                          str(edge)))
        return incoming

    def _topological(self, by_id: dict[str, Node], incoming: dict, prefix: str) -> list[str]:
        indegree = {n: len({s for s, *_ in incoming[n]}) for n in by_id}
        consumers: dict[str, list[str]] = {n: [] for n in by_id}
        for target, sources in incoming.items():
            for source in {s for s, *_ in sources}:
                consumers[source].append(target)
        ready = [n for n in by_id if indegree[n] == 0]
        order: list[str] = []
        while ready:
            node_id = ready.pop(0) if len(ready) < 64 else ready.pop()
            order.append(node_id)
            for target in consumers[node_id]:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
        stuck = [n for n in by_id if indegree[n] > 0]
        reported: set[str] = set()
        for start in stuck:
            if start in reported:
                continue
            loop = _find_loop(start, incoming, set(stuck))
            if loop and not reported.intersection(loop):
                reported.update(loop)
                first = min(range(len(loop)), key=lambda i: stuck.index(loop[i]))
                loop = loop[first:] + loop[:first]
                self.error(prefix + loop[0], "cycle: " + " → ".join(loop + [loop[0]])
                           + " (a graph must flow one way; remove one of these edges)")
        return order

    # -- nodes -------------------------------------------------------------------------------

    def _input(self, info: NodeInfo, block_params: dict, in_shapes, index: int,
               block: str | None = None) -> None:
        node = info.node
        extra = set(node.params) - {"shape", "dtype"}
        for name in sorted(extra):
            self.error(info.path, f"Input has no param '{name}' (it takes shape and dtype)",
                       param=name)
        dtype = node.params.get("dtype", "float32")
        if dtype not in ("float32", "int64"):
            self.error(info.path, f"dtype must be 'float32' or 'int64', got {dtype!r}",
                       param="dtype")
            return
        if in_shapes is not None:  # a composite's port: the shape comes from where it is used
            if index < len(in_shapes):
                info.shape, info.dtype = in_shapes[index]
                self._port_agrees(info, block_params, block)
            info.copies = [Layer({}, [], info.shape, 0, 0)] if info.shape else []
            return
        if "shape" not in node.params:
            self.error(info.path, f"Input needs a shape, {SHAPE_EXAMPLES}", param="shape")
            return
        value = self._value(info, "shape", node.params["shape"], block_params, None)
        if value is _FAILED:
            return
        said = self.origin("shape", node.params["shape"], block_params)
        try:
            shape = find_block("Input").param("shape").coerce(value)
        except ParamError as exc:
            self.error(info.path, f"shape {exc}{said}", param="shape")
            return
        except (OverflowError, ValueError, TypeError):
            self.error(info.path, f"shape is out of range: {_clip(value)}{said}", param="shape")
            return
        if shape is None:
            self.error(info.path, f"Input needs a shape, {SHAPE_EXAMPLES} (got null)",
                       param="shape")
            return
        info.shape, info.dtype = shape, dtype
        info.copies = [Layer({"shape": shape, "dtype": dtype}, [], shape, 0, 0)]
        behind = {} if block_params else variables_behind(node.params["shape"], self.variables,
                                                          block_params)
        if behind:
            self.scaled_inputs.append(f"{info.path}'s shape {show(shape)} follows "
                                      f"{said_variables(behind)}")
        self._check_size(info)

    def _port_agrees(self, info: NodeInfo, block_params: dict, block: str | None) -> None:
        """A composite's Input takes the shape and dtype of what feeds it; one written anyway
        is accepted when it agrees and is an error when it does not (as ``in_channels``)."""
        node = info.node
        where = f"block '{block}', Input '{node.id}'" if block else f"Input '{node.id}'"
        if "shape" in node.params:
            value = self._value(info, "shape", node.params["shape"], block_params, None)
            if value is not _FAILED:
                try:
                    written = find_block("Input").param("shape").coerce(value)
                except ParamError as exc:
                    self.error(info.path, f"shape {exc}", param="shape")
                    written = None
                except (OverflowError, ValueError, TypeError):
                    self.error(info.path, f"shape is out of range: {_clip(value)}",
                               param="shape")
                    written = None
                if written is not None and tuple(written) != tuple(info.shape):
                    self.error(info.path, f"{where} has shape {show(tuple(written))}, but it "
                                          f"receives {show(info.shape)} here; leave shape out "
                                          f"(a block's Input takes the shape of what feeds it)",
                               param="shape")
        dtype = node.params.get("dtype")
        if dtype in ("float32", "int64") and dtype != info.dtype:
            self.error(info.path, f"{where} has dtype {dtype}, but it receives {info.dtype} "
                                  f"here; leave dtype out (a block's Input takes the dtype of "
                                  f"what feeds it)", param="dtype")

    def _node(self, info: NodeInfo, sources: list, level: Level, block_params: dict) -> None:
        node = info.node
        spec = find_block(node.type)
        block = self.graph.blocks.get(node.type) if spec is None else None
        if spec is None and block is None:
            self.error(info.path, unknown_type_message(node.type, list(self.graph.blocks)))
            return
        info.spec, info.block = spec, block
        if not sources and (info.id in level.cut or info.id not in level.reach[1]):
            # fed by no edge: where one names a missing node, that is said already; where the
            # node leads to no Output, it is left out of the model (the warning says so)
            if info.id not in level.cut:
                self.left_out.add(info.path)
            self._check_without_shapes(info, block_params)
            return
        wired = self._ports(info, sources, level)
        if wired is None:
            return
        ordered = [source for source, _, _ in wired]
        if not ordered and block is not None:  # a definition without an Input takes nothing
            self.error(info.path, f"{info.type} has no input: the composite block {info.type} "
                                  f"holds no Input block, so nothing can feed it; add one inside "
                                  f"it")
            return
        info.inputs = ordered
        producers = [level.nodes.get(s) for s in ordered]
        self._feeding = producers  # for a shape problem's advice (_shape_problem)
        failed = [(s, p) for s, p in zip(ordered, producers) if p is None or not p.ok]
        if failed:  # an upstream problem is already reported: check what needs no shape
            source, producer = failed[0]
            root = self.skipped.get(producer.path, producer.path) if producer else prefix_of(
                info.path) + source
            self.skipped[info.path] = root
            self._check_without_shapes(info, block_params)
            if root in self.left_out:  # fed by a node left out: so is this one (warned)
                self.left_out.add(info.path)
            else:
                self.note(info.path, f"shape not checked: it depends on {root}, which has an "
                                     f"error")
            return
        picked = [self._source_port(info, producer, source_port, edge)
                  for (_, source_port, edge), producer in zip(wired, producers)]
        if any(p is None for p in picked):
            return
        info.input_ports = [index for index, _, _ in picked]
        info.in_shapes = [shape for _, shape, _ in picked]
        dtypes = [dtype for _, _, dtype in picked]
        repeat = self._repeat(info, block_params)
        if repeat is None:
            return
        info.repeat = repeat
        if repeat == 0:  # skipped: the first input passes through unchanged
            info.shape, info.dtype = info.in_shapes[0], dtypes[0]
            return
        shared = spec is not None and len(ordered) > 1 and all(
            i < len(spec.ports.names) and spec.ports.names[i] in spec.shared_ports
            for i in range(1, len(ordered)))  # a mask given to every copy
        if repeat > 1 and len(ordered) != 1 and not shared:
            self.error(info.path, f"repeat {repeat} needs a block with one input; this one has "
                                  f"{len(ordered)}", param="repeat")
            return
        shapes, dtype = info.in_shapes, dtypes[0]
        given = list(zip(info.in_shapes[1:], dtypes[1:])) if shared else []
        if repeat > 1:
            # the copies beyond the first, before making any
            self.spend(info.path, (repeat - 1) * self.weight(node))
        for copy in range(repeat):
            if block is not None:
                result = self._composite(info, shapes, dtypes, block_params, copy)
            else:
                result = self._primitive(info, spec, shapes, dtypes, block_params)
            if result is None:
                return
            shape, dtype = result
            shapes, dtypes = [shape] + [s for s, _ in given], [dtype] + [d for _, d in given]
            if info.ports is not None and repeat > 1:
                self.error(info.path, f"repeat {repeat} needs a block with one output; this one "
                                      f"has {len(info.ports)} (outputs "
                                      f"{', '.join(info.ports)})", param="repeat")
                info.ports = None
                return
        info.shape, info.dtype = shape, dtype
        self._check_size(info)

    def _source_port(self, info: NodeInfo, producer: NodeInfo, source_port: int | str | None,
                     edge: str) -> tuple[int | None, Shape, str] | None:
        """Which output of ``producer`` an edge into ``info`` takes: (port index, or None for a
        source with one output; its shape; its dtype), or None after reporting the problem."""
        if producer.repeat == 0:  # skipped: every output is its first input, passed through
            return None, producer.shape, producer.dtype
        what = f"{producer.id} ({producer.type})"
        if producer.ports is None:
            if source_port is None:
                return None, producer.shape, producer.dtype
            self.error(info.path, f"edge {edge}: {what} has one output, so the edge cannot pick "
                                  f"output {source_port!r}; remove its source_port (only blocks "
                                  f"with several outputs, such as Chunk, Split or a composite "
                                  f"with several Output nodes, take one)", edge=edge)
            return None
        names = producer.ports
        if source_port is None:
            index = 0
        elif isinstance(source_port, str):
            if source_port not in names:
                close = difflib.get_close_matches(source_port, names, n=1)
                hint_ = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(info.path, f"edge {edge}: {what} has no output {_clip(source_port)}"
                                      f"{hint_}; its outputs are {', '.join(names)} (or their "
                                      f"indexes 0–{len(names) - 1})", edge=edge)
                return None
            index = names.index(source_port)
        else:
            if not 0 <= source_port < len(names):
                self.error(info.path, f"edge {edge}: source_port {source_port} is out of range: "
                                      f"{what} has {len(names)} outputs (0–{len(names) - 1}: "
                                      f"{', '.join(names)})", edge=edge)
                return None
            index = source_port
        return index, producer.port_shapes[index], producer.port_dtypes[index]

    def _ports(self, info: NodeInfo, sources: list, level: Level) -> list[tuple] | None:
        """``(source, source_port, edge)`` of the edges into ``info`` in port order, or None
        after reporting the problem."""
        if info.block is not None:
            names = tuple(info.block.input_ids())
            low, high = len(names), len(names)
        else:
            ports = info.spec.ports
            names, low, high = ports.names, ports.min, ports.max
        what = f"{info.type}"
        named = [p is not None for _, p, _, _ in sources]
        if any(named) and not all(named):
            self.error(info.path, "the edges into this node must either all name their port or "
                                  "none may", edge=f"→ {info.id}")
            return None
        if sources and all(named):
            slots: dict[int, tuple] = {}
            for source, port, source_port, edge in sources:
                if isinstance(port, str):
                    if port not in names:
                        known = ", ".join(names) or "none: its inputs are numbered"
                        self.error(info.path, f"{what} has no input port '{port}' (ports: "
                                              f"{known})", edge=edge)
                        return None
                    index = names.index(port)
                else:
                    index = port
                if index < 0 or (high is not None and index >= high):
                    self.error(info.path, f"port {port} is out of range for {what}",
                               edge=edge)
                    return None
                if index >= len(sources) and not isinstance(port, str):
                    self.error(info.path, f"port {port} is out of range: {len(sources)} "
                                          f"edge{'s come' if len(sources) != 1 else ' comes'} "
                                          f"into this {what}, so its ports are 0–"
                                          f"{len(sources) - 1}", edge=edge)
                    return None
                if index in slots:
                    self.error(info.path, f"port {port!r} is connected twice (from "
                                          f"{slots[index][0]} and {source})",
                               edge=edge)
                    return None
                slots[index] = (source, source_port, edge)
            gaps = [i for i in range(len(slots) + 1) if i not in slots and i <= max(slots)]
            if gaps:
                label = names[gaps[0]] if gaps[0] < len(names) else gaps[0]
                later = [names[i] for i in slots if i > gaps[0] and i < len(names)]
                hint_ = (f" (with {later[-1]}, connect query, key and value: the query's source "
                         f"to all three for self-attention)"
                         if later and later[-1] == "key_padding_mask" else "")
                self.error(info.path, f"input port {label!r} is not connected, but a later one "
                                      f"is{hint_}", edge=f"→ {info.id}")
                return None
            ordered = [slots[i] for i in sorted(slots)]
        else:
            ordered = [(s, sp, edge) for s, _, sp, edge in sources]
        if len(ordered) < low:
            if not ordered:
                ends = dangling_outputs(info.node.id, level.kinds, level.sources, level.reach[1])
                self.error(info.path, f"{what} has no input: connect a block to it"
                                      + (f" ({ends[0]}'s output is wired to nothing: wire it "
                                         f"here)" if len(ends) == 1 else ""))
            else:
                self.error(info.path, f"{what} needs at least {low} inputs, but "
                                      f"{len(ordered)} {'is' if len(ordered) == 1 else 'are'} "
                                      f"connected")
            return None
        if high is not None and len(ordered) > high:
            self.error(info.path, f"{what} takes {high} input{'s' if high != 1 else ''}, but "
                                  f"{len(ordered)} are connected (from "
                                  f"{', '.join(o[0] for o in ordered)})")
            return None
        return ordered

    def _check_without_shapes(self, info: NodeInfo, block_params: dict) -> None:
        """For a node whose inputs failed: the problems that need no input shape (unknown
        params, expressions that fail or name unknown variables, values out of range)."""
        node, spec, block = info.node, info.spec, info.block
        if spec is not None:
            declared = {p.name: p for p in spec.params}
        else:
            declared = {name: None for name in block.params}
        for name in node.params:
            if name not in declared:
                close = difflib.get_close_matches(name, sorted(declared), n=1)
                hint_ = f" (did you mean '{close[0]}'?)" if close else ""
                if spec is not None:
                    known = ", ".join(p.name for p in spec.params if not p.inferred) or "none"
                    self.error(info.path, f"{spec.type} has no param '{name}'{hint_}; it takes: "
                                          f"{known}", param=name)
                else:
                    known = ", ".join(block.params) or "none"
                    self.error(info.path, f"block '{block.name}' has no param '{name}' (it "
                                          f"takes: {known})", param=name)
        checks = [("repeat", node.repeat, None)] if node.repeat is not None else []
        checks += [(name, node.params.get(name, getattr(param, "default", None)), param)
                   for name, param in declared.items() if name in node.params or param]
        for name, raw, param in checks:
            value = self._shapeless_value(info, name, raw, block_params)
            if value is _FAILED or value is _UNKNOWN or param is None:
                continue
            try:
                param.coerce(value)
            except ParamError as exc:
                self.error(info.path, f"{name} {exc}{self.origin(name, raw, block_params)}",
                           param=name)
            except (OverflowError, ValueError, TypeError):
                self.error(info.path, f"{name} is out of range: {_clip(value)}"
                                      f"{self.origin(name, raw, block_params)}", param=name)

    def _shapeless_value(self, info: NodeInfo, name: str, raw: Any, block_params: dict) -> Any:
        """Like ``_value`` with no input shape: an expression that uses ``in_shape`` only has
        its names checked, and gives ``_UNKNOWN``."""
        if isinstance(raw, list):
            items = [self._shapeless_value(info, name, item, block_params) for item in raw]
            if any(i is _FAILED for i in items):
                return _FAILED
            return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
        if not is_expression(raw):
            return raw
        try:
            used = names_in(raw)
        except ExpressionError as exc:
            self.error(info.path, f"{name} = {_clip(raw)}: {exc}", param=name)
            return _FAILED
        if "in_shape" not in used:
            return self._value(info, name, raw, block_params, None)
        broken = self._broken_names(raw, block_params)
        if broken:
            self._not_checked(info, name, broken)
            return _FAILED
        known = set(self.variables) | set(block_params) | {"in_shape"}
        unknown = sorted(used - known)
        if unknown:
            names = ", ".join(sorted(known - {"in_shape"}) + ["in_shape"])
            self.error(info.path, f"{name} = {_clip(raw)}: "
                                  f"{unknown_name(unknown[0], known, names)}", param=name)
            return _FAILED
        return _UNKNOWN

    def _repeat(self, info: NodeInfo, block_params: dict) -> int | None:
        raw = info.node.repeat
        if raw is None:
            return 1
        value = self._value(info, "repeat", raw, block_params, info.in_shapes[0])
        if value is _FAILED:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.error(info.path, f"repeat must be a whole number ≥ 0, got {value!r}"
                                  f"{self.origin('repeat', raw, block_params)}", param="repeat")
            return None
        if value > self.limits.max_repeat:
            self.error(info.path, f"repeat {value:,} is more than {self.limits.max_repeat:,} "
                                  f"copies, the limit{self.origin('repeat', raw, block_params)}; "
                                  f"{hint('max_repeat')}", param="repeat")
            return None
        return value

    def _primitive(self, info: NodeInfo, spec: BlockSpec, in_shapes: list[Shape],
                   dtypes: list[str], block_params: dict) -> tuple[Shape, str] | None:
        scalar = next((source for shape, source in zip(in_shapes, info.inputs)
                       if shape is not None and len(shape) == 0), None)
        if scalar is not None and spec.type not in _TAKE_ONE_VALUE:
            self.error(info.path, f"{spec.type} needs a dimension after the batch, but {scalar} "
                                  f"gives [] (one value per sample); only an Embedding takes "
                                  f"such ids (a class label looked up); else give the Input "
                                  f"shape [1]")
            return None
        for port, (dtype, source) in enumerate(zip(dtypes, info.inputs)):
            wanted = spec.port_dtype(port)
            if wanted == "float" and dtype == "int64":
                self.error(info.path, f"{spec.type} needs float values{_port(spec, port)}, but "
                                      f"{source} gives int64 token ids; put an Embedding before "
                                      f"it")
                return None
            if wanted == "int" and dtype != "int64":
                if spec.port_dtypes:
                    self.error(info.path, f"{spec.type} needs int64 values{_port(spec, port)}, "
                                          f"but {source} gives {dtype} values; feed it from "
                                          f"a PaddingMask block or an Input of dtype int64")
                else:
                    self.error(info.path, f"{spec.type} needs int64 token ids, but {source} "
                                          f"gives {dtype} values; set the Input's dtype to int64")
                return None
        params = self._params(info, spec, block_params, in_shapes)
        if params is None:
            return None
        ports = None
        try:
            if spec.outputs is not None:
                ports = [(str(name), tuple(int(d) for d in port_shape))
                         for name, port_shape in spec.outputs(params, in_shapes)]
                if not ports:
                    raise ShapeError(f"{spec.type} gives no output for this input")
                shape = ports[0][1]
            else:
                shape = tuple(int(d) for d in spec.infer(params, in_shapes))
        except ShapeError as exc:
            self._shape_problem(info, spec, exc, in_shapes, block_params)
            return None
        except Exception as exc:  # a plugin's shape rule failed: still name the node
            self.error(info.path, f"{spec.type}'s shape rule failed: {exc}")
            return None
        empty = next((s for s in ([shape] + [s for _, s in ports or []]) if any(d < 1 for d in s)),
                     None)
        if empty is not None:
            scaled = f" ({'; '.join(self.scaled_inputs)})" if self.scaled_inputs else ""
            self.error(info.path, f"{spec.type} would give an empty output {show(empty)}{scaled}")
            return None
        try:
            n_params = int(spec.count_params(params, in_shapes, shape))
            macs = int(spec.macs(params, in_shapes, shape))
        except Exception as exc:  # a plugin's counting rule failed: still name the node
            self.error(info.path, f"{spec.type}'s parameter count failed: {exc}")
            return None
        dtype = dtypes[0] if spec.output_dtype == "same" else "float32"
        shapes = None
        if ports is not None:
            shapes = [s for _, s in ports]
            info.ports = [name for name, _ in ports]
            info.port_shapes, info.port_dtypes = shapes, [dtype] * len(ports)
            if spec.type == "Chunk" and len(ports) != params.get("chunks", len(ports)):
                self.warn(info.path, f"Chunk gives {len(ports)} outputs, not {params['chunks']}: "
                                     f"{show(in_shapes[0])} splits into pieces of "
                                     f"{ports[0][1][normalize_index(params, in_shapes)]} (as "
                                     f"torch.chunk does)", param="chunks")
        info.copies.append(Layer(params, list(in_shapes), shape, n_params, macs, shapes))
        self.made_params += n_params
        if spec.type not in ("Input", "Output", "Identity"):
            self.made_activations += sum(prod(s) for s in shapes) if shapes else prod(shape)
        return shape, dtype

    def _shape_problem(self, info: NodeInfo, spec: BlockSpec, exc: ShapeError,
                       in_shapes: list[Shape], block_params: dict) -> None:
        if exc.expected:
            port = min(exc.port, len(in_shapes) - 1)
            source = info.inputs[port] if port < len(info.inputs) else info.inputs[0]
            self.error(info.path, f"{spec.type} needs a {exc.expected} input, but {source} gives "
                                  f"{show(in_shapes[port])}"
                                  f"{self._channel_advice(port, exc.expected, in_shapes[port])}",
                       param=exc.param)
        else:
            raw = info.node.params.get(exc.param) if exc.param else None
            said = self.origin(exc.param, raw, block_params, in_shapes[0] if in_shapes else None)
            if not said and self.scaled_inputs:
                said = f" ({'; '.join(self.scaled_inputs)})"
            # which wire brings which shape, where the inputs do not go together; a param's
            # problem (nhead not dividing d_model) is the param's, whatever feeds the block
            wires = "" if exc.param else _sources(spec, info.inputs, in_shapes)
            first = self._channels_last(spec, in_shapes)
            if first:  # the Input's fix first: the block's own advice (a smaller kernel) misleads
                self.error(info.path, f"{first} (read so, {exc.message.split('; ')[0]})",
                           param=exc.param)
                return
            self.error(info.path, exc.message + wires + said, param=exc.param)

    def _channel_advice(self, port: int, expected: str, given: Shape) -> str:
        """The fix where an Input left out the channel axis, the commonest slip with images
        and signals: a Conv2d wants [C, H, W] and the Input says [28, 28]. Else nothing."""
        feeding = getattr(self, "_feeding", None) or []
        producer = feeding[port] if port < len(feeding) else None
        wanted = expected.count(",") + 1 if expected.startswith("[") else None
        if (producer is None or producer.spec is None or producer.spec.type != "Input"
                or wanted != len(given) + 1 or "..." in expected):
            return ""
        fixed = show((1, *given))
        return (f"; an Input of one channel is {fixed}: set {producer.node.id}'s shape to "
                f"{fixed}")

    def _channels_last(self, spec: BlockSpec, in_shapes: list[Shape]) -> str:
        """The fix where an image Input was written channels last, as Keras writes it
        (``input_shape=(28, 28, 1)``): a 2-D convolution or pooling fed ``[28, 28, 1]`` reads
        28 channels of 28×1 images, and its own error (a 3×3 kernel larger than 28×1) pointed
        at the kernel. Else nothing."""
        feeding = getattr(self, "_feeding", None) or []
        producer = feeding[0] if feeding else None
        given = in_shapes[0] if in_shapes else None
        if (producer is None or producer.spec is None or producer.spec.type != "Input"
                or not spec.type.endswith("2d") or given is None or len(given) != 3
                or given[2] not in (1, 3, 4) or min(given[0], given[1]) <= 4):
            return ""
        fixed = show((given[2], given[0], given[1]))
        return (f"{producer.node.id} gives {show(given)}, an image channels last as Keras "
                f"writes it, but a {spec.type} takes [C, H, W], channels first: set "
                f"{producer.node.id}'s shape to {fixed}")

    def _params(self, info: NodeInfo, spec: BlockSpec, block_params: dict,
                in_shapes: list[Shape]) -> dict | None:
        given = info.node.params
        declared = {p.name for p in spec.params}
        ok = True
        for name in given:
            if name not in declared:
                close = difflib.get_close_matches(name, sorted(declared), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                known = ", ".join(p.name for p in spec.params if not p.inferred) or "none"
                self.error(info.path, f"{spec.type} has no param '{name}'{hint}; it takes: "
                                      f"{known}", param=name)
                ok = False
        values: dict[str, Any] = {}
        first = in_shapes[0] if in_shapes else None
        for param in spec.params:
            raw = given.get(param.name, param.default)
            value = self._value(info, param.name, raw, block_params, first)
            if value is _FAILED:
                ok = False
                continue
            try:
                values[param.name] = param.coerce(value)
            except ParamError as exc:
                self.error(info.path, f"{param.name} {exc}"
                                      f"{self.origin(param.name, raw, block_params, first)}",
                           param=param.name)
                ok = False
            except (OverflowError, ValueError, TypeError):
                self.error(info.path, f"{param.name} is out of range: {_clip(value)}"
                                      f"{self.origin(param.name, raw, block_params, first)}",
                           param=param.name)
                ok = False
        if not ok:
            return None
        for name, rule in spec.inferred.items():
            actual = rule(in_shapes)
            if values.get(name) is not None and values[name] != actual:
                self.error(info.path, self._inferred_differs(info, spec, name, values[name],
                                                             actual, first), param=name)
                return None
            values[name] = actual
        return values

    def _inferred_differs(self, info: NodeInfo, spec: BlockSpec, name: str, value: Any,
                          actual: Any, first: Shape | None) -> str:
        """What to do about an inferred param set by hand to another value than its input's:
        leave it out, unless it is the input's map flattened where the block takes the last
        dimension (Keras' Dense after a Flatten left out), which a Flatten fixes; left out, the
        Linear would act on the map's last axis alone."""
        said = f"{name} is {value}, but the input gives {actual}"
        if (first is not None and len(first) > 1 and all(isinstance(n, int) for n in first)
                and actual == first[-1] and value == prod(first)):
            feeding = getattr(self, "_feeding", None) or []
            src = feeding[0].path if feeding and feeding[0] is not None else "its input"
            return (f"{said}: {value} is {src}'s {show(first)} flattened, and a {spec.type} "
                    f"acts on the last dimension only; add Flatten before {info.path}")
        return f"{said}; leave {name} out (it is inferred)"

    def _value(self, info: NodeInfo, name: str, raw: Any, block_params: dict,
               in_shape: Shape | None) -> Any:
        """A param value with its expressions evaluated (elements of lists too)."""
        if isinstance(raw, list):
            items = [self._value(info, name, item, block_params, in_shape) for item in raw]
            return _FAILED if any(i is _FAILED for i in items) else items
        if not is_expression(raw):
            return raw
        broken = self._broken_names(raw, block_params)
        if broken:
            self._not_checked(info, name, broken)
            return _FAILED
        names: dict[str, Any] = {}
        if in_shape is not None:
            names["in_shape"] = tuple(in_shape)
        names.update(self.variables)
        names.update(block_params)
        try:
            return evaluate(raw, names)
        except ExpressionError as exc:
            self.error(info.path, f"{name} = {raw!r}: {exc}", param=name)
            return _FAILED

    def _composite(self, info: NodeInfo, in_shapes: list[Shape], dtypes: list[str],
                   outer_params: dict, copy: int) -> tuple[Shape, str] | None:
        block = info.block
        if block.name in self.bad_blocks:
            if copy == 0:
                self.error(info.path, f"block '{block.name}' cannot be used: "
                                      f"{self.bad_blocks[block.name]}")
            return None
        params: dict[str, Any] = {}
        ok = True
        for name in info.node.params:
            if name not in block.params:
                known = ", ".join(block.params) or "none"
                self.error(info.path, f"block '{block.name}' has no param '{name}' (it takes: "
                                      f"{known})", param=name)
                ok = False
        for name, default in block.params.items():
            if name in info.node.params:
                value = self._value(info, name, info.node.params[name], outer_params,
                                    in_shapes[0])
            else:
                value = self._value(info, name, default, {}, None)
            if value is _FAILED:
                ok = False
            elif isinstance(value, str) or (name in info.node.params and not is_expression(
                    info.node.params[name]) and not isinstance(value, (int, float, bool))):
                # the block's params are numbers (its defaults must be): a value of another
                # kind is this node's mistake, not that of the layer inside that reads it
                if copy == 0:
                    self.error(info.path, f"block '{block.name}' param '{name}' must be a "
                                          f"number or an \"=expression\", got {_clip(value)}"
                                          f"{in_quotes(value, 'float')}", param=name)
                ok = False
            params[name] = value
        if not ok:
            return None
        prefix = f"{info.path}/" if info.repeat <= 1 else f"{info.path}/{copy}/"
        self.givers[id(params)] = (params, prefix.rstrip("/"), info.node.params, block.params,
                                   outer_params)
        level = self._level(block.nodes, block.edges, params,
                            list(zip(in_shapes, dtypes)), prefix, block.name)
        info.copies.append(level)
        outs = [level.nodes[o] for o in level.outputs if o in level.nodes]
        if not outs or len(outs) != len(block.output_ids()) or not all(o.ok for o in outs):
            return None
        if len(outs) > 1:  # several outputs: its ports, named by the Output nodes' ids
            info.ports = [o.id for o in outs]
            info.port_shapes = [o.shape for o in outs]
            info.port_dtypes = [o.dtype for o in outs]
        return outs[0].shape, outs[0].dtype

    def _check_size(self, info: NodeInfo) -> None:
        size = prod(info.shape) * BYTES.get(info.dtype or "float32", 4)
        if size > GIB:
            self.warn(info.path, f"its output {show(info.shape)} takes {size / GIB:.1f} GiB per "
                                 f"sample; training will likely run out of memory")

    # -- whole-level checks ------------------------------------------------------------------

    def _mark_unused(self, level: Level, where: str) -> None:
        """Leave out the nodes on no path from an Input to an Output, with a warning each that
        names the break in the chain where there is one (``left_out_warnings``).

        Paths follow the edges, through every node whatever its own problems (an unknown type,
        wrong params, too many inputs), so that one mistake does not make its neighbours look
        cut off; where an edge names a missing node, no warning is given at all."""
        if getattr(level, "_marked", False):
            return
        level._marked = True  # type: ignore[attr-defined]
        forward, backward = level.reach
        # a level without an Input or an Output is told so once: a warning on each of its blocks
        # said to wire in or delete blocks that only need the missing end
        types = {info.type for info in level.nodes.values()}
        told = level.sure and {"Input", "Output"} <= types
        left = []
        for node_id, info in level.nodes.items():
            if node_id in forward and node_id in backward:
                continue
            if info.type in ("Input",) and node_id in backward:
                continue
            info.used = False
            left.append(node_id)
        if not told:
            return
        kinds = {node_id: info.type for node_id, info in level.nodes.items()}
        for node_id, message in left_out_warnings(left, kinds, level.sources, forward, backward,
                                                  where):
            self.warn(level.nodes[node_id].path, message)

    def _top_warnings(self, top: Level) -> None:
        for path, message in stacked_linear(top.nodes):
            self.warn(path, message)
        reconstruction = self.graph.extra.get("task") == "reconstruction"
        for out_id in top.outputs:
            info = top.nodes[out_id]
            linear = None if reconstruction else _linear_on_image_map(top, out_id)
            if linear is not None:
                fed = top.nodes[linear]
                src = top.nodes[fed.inputs[0]].path if fed.inputs else "its input"
                self.warn(fed.path, f"a Linear acts on the last dimension only: fed {src}'s "
                                    f"{show(fed.in_shapes[0])} feature map, it gives "
                                    f"{show(fed.shape)} per sample, and so does the model; "
                                    f"to classify (or regress) the whole input, add Flatten "
                                    f"(or global pooling) before {fed.path}")
            if len(info.inputs) == 1:
                source = top.nodes.get(info.inputs[0])
                if source is not None and source.type in ("Softmax", "LogSoftmax"):
                    self.warn(source.path, f"{source.type} right before the output: for a "
                                           f"classifier, cross-entropy applies it already; "
                                           f"output logits (the trainer strips it when "
                                           f"training)")


def _linear_on_image_map(top: Level, output: str) -> str | None:
    """Back from ``output`` along first inputs while the shapes stay maps (two or more
    dimensions): the earliest Linear fed a map of three or more ([C, H, W]), or None. A Linear
    on a [sequence, features] map is how Transformers work; on an image map it is nearly always
    a missing Flatten."""
    found, node, seen = None, output, set()
    while node in top.nodes and node not in seen:
        seen.add(node)
        info = top.nodes[node]
        if info.shape is None or len(info.shape) < 2:
            break
        if info.type == "Linear" and info.used and info.repeat != 0 and info.in_shapes and \
                info.in_shapes[0] is not None and len(info.in_shapes[0]) >= 3:
            found = node
        if not info.inputs:
            break
        node = info.inputs[0]
    return found


def normalize_index(params: dict, in_shapes: list[Shape]) -> int:
    """The non-negative index of a block's ``dim`` param for its first input."""
    rank = len(in_shapes[0])
    return params.get("dim", 0) % rank


_FAILED = object()
_UNKNOWN = object()  # a value that needs an input shape to be known
_FREE_VALUES = 16  # values in a node's param lists that count as no more than the node
_VALUES_PER_LAYER = 2  # beyond those, each this many values count as one layer more
_MIN_VISITS = 20_000  # nodes the layer count may visit even under a smaller budget (its figure)
_LOOPS_TRACED = 50  # loops of blocks traced for their message; blocks beyond are refused plainly


def prefix_of(path: str) -> str:
    """``"layer1/c1"`` → ``"layer1/"``; ``"conv1"`` → ``""``."""
    head, sep, _ = path.rpartition("/")
    return head + sep


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _figure(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"{n:.2e}"


def _gib(n: int) -> str:
    """Bytes of memory for people (KiB, MiB or GiB)."""
    for unit, size in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size / 10:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,} B"


def _depths(uses: dict[str, list[str]]) -> dict[str, int]:
    """Nesting depth of each block (1: it uses no other block), leaves first, without
    recursion; blocks on a loop, or leading to one, are left out."""
    used_by: dict[str, list[str]] = {name: [] for name in uses}
    waiting = {}
    for name, children in uses.items():
        known = [c for c in children if c in uses]
        waiting[name] = len(known)
        for child in known:
            used_by[child].append(name)
    depth: dict[str, int] = {}
    ready = [name for name, n in waiting.items() if n == 0]
    while ready:
        name = ready.pop()
        depth[name] = 1 + max((depth[c] for c in uses[name] if c in depth), default=0)
        for parent in used_by[name]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    return depth


def _block_loop(start: str, uses: dict[str, list[str]], among: set[str]) -> list[str] | None:
    """The shortest loop of blocks from ``start`` back to itself, or None."""
    parent: dict[str, str] = {}
    queue = [start]
    for name in queue:
        for child in uses[name]:
            if child == start:
                trail = [name]
                while trail[-1] != start:
                    trail.append(parent[trail[-1]])
                return trail[::-1] + [start]
            if child in among and child not in parent and child != start:
                parent[child] = name
                queue.append(child)
    return None


class _LayerCount:
    """The layers a node resolves to, composites and repeats multiplied out without expanding
    anything: each block is counted once per distinct set of params (memoised), and every node
    visited counts toward the budget, so the count itself is bounded work."""

    def __init__(self, resolver: "_Resolver", budget: int):
        self.resolver = resolver
        self.budget = budget
        self.visits = 0
        self.memo: dict[tuple, int] = {}

    def node(self, node: Node, env: dict, prefix: str = "") -> int:
        self.visits += 1
        if self.visits > self.budget:
            raise _OverBudget(prefix + node.id)
        res = self.resolver
        repeat = self.repeat(node, env)
        block = res.graph.blocks.get(node.type)
        weight = res.weight(node)
        if repeat == 0:
            return weight
        if block is None or node.type in res.bad_blocks or find_block(node.type) is not None:
            return repeat * weight
        params = self.params(node, block, env)
        key = (node.type, tuple(sorted((k, repr(v)) for k, v in params.items())))
        inner = self.memo.get(key)
        if inner is None:
            path = f"{prefix}{node.id}/"
            inner = sum(self.node(n, params, path) for n in block.nodes)
            self.memo[key] = inner
        return repeat * (weight + inner)

    def value(self, raw: Any, env: dict) -> Any:
        if not is_expression(raw):
            return raw
        try:
            return evaluate(raw, {**self.resolver.variables, **env})
        except ExpressionError:
            return _FAILED

    def repeat(self, node: Node, env: dict) -> int:
        value = 1 if node.repeat is None else self.value(node.repeat, env)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 \
                or value > self.resolver.limits.max_repeat:
            return 1  # refused (or unknown until shapes are): resolution reports it
        return value

    def params(self, node: Node, block: Block, env: dict) -> dict:
        params = {}
        for name, default in block.params.items():
            value = (self.value(node.params[name], env) if name in node.params
                     else self.value(default, {}))
            if value is not _FAILED:
                params[name] = value
        return params


def _reach(by_id: dict[str, Node], incoming: dict) -> tuple[set[str], set[str]]:
    """``(fed, leading)``: the nodes an Input reaches along the edges, and those from which an
    Output is reached; an edge into an Input (an error) carries nothing."""
    consumers: dict[str, list[str]] = {n: [] for n in by_id}
    for target, sources in incoming.items():
        if by_id[target].type == "Input":
            continue
        for source, *_ in sources:
            consumers[source].append(target)
    fed = {n for n, node in by_id.items() if node.type == "Input"}
    stack = list(fed)
    while stack:
        for target in consumers[stack.pop()]:
            if target not in fed:
                fed.add(target)
                stack.append(target)
    leading = {n for n, node in by_id.items() if node.type == "Output"}
    stack = list(leading)
    while stack:
        node_id = stack.pop()
        if by_id[node_id].type == "Input":
            continue
        for source, *_ in incoming[node_id]:
            if source not in leading:
                leading.add(source)
                stack.append(source)
    return fed, leading


def _find_loop(start: str, incoming: dict, stuck: set[str]) -> list[str] | None:
    """A cycle through ``start`` among ``stuck`` nodes, as a list in flow order."""
    # walk backwards along incoming edges until a node repeats
    trail: list[str] = []
    seen: dict[str, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(trail)
        trail.append(node)
        nxt = next((s for s, *_ in incoming[node] if s in stuck), None)
        if nxt is None:
            return None
        node = nxt
    loop = trail[seen[node]:]
    loop.reverse()
    return loop


def _sources(spec: BlockSpec, inputs: list[str], in_shapes: list[Shape]) -> str:
    """Which wire brings which shape into a block of several inputs whose shapes do not go
    together: ' (left: input1 gives [4]; right: linear1 gives [10])'. 'Subtract of [4] and
    [10]' named no block feeding it, leaving the user to find the wire to change. Ports as the
    canvas labels them: their names, else #1, #2…"""
    if len(in_shapes) < 2 or len(inputs) != len(in_shapes):
        return ""
    # the first ports, named: edges fill them in order (a later one without an earlier is an
    # error), so three inputs of attention are query, key and value beside a free mask port
    names = spec.ports.names if len(in_shapes) <= len(spec.ports.names) else ()
    return " (" + "; ".join(f"{names[i] if names else f'#{i + 1}'}: {source} gives {show(shape)}"
                            for i, (source, shape) in enumerate(zip(inputs, in_shapes))) + ")"


def _port(spec: BlockSpec, index: int) -> str:
    """`` at its input 'key'`` for a block whose ports differ in dtype, else ""."""
    if not spec.port_dtypes or index >= len(spec.ports.names):
        return ""
    return f" at its input '{spec.ports.names[index]}'"
