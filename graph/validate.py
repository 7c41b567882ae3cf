"""``validate(graph)``: every problem at once, errors and warnings apart, plus what each node
becomes (shape, params, MACs) for a graph that resolves."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import GraphError, Problem
from .limits import Limits
from .model import Graph
from .resolve import Resolution, resolve
from .unknown_keys import KNOWN_KEYS, shown_key


@dataclass
class Report:
    """What validation found. ``ok`` means no errors (warnings may remain)."""

    resolution: Resolution

    @property
    def errors(self) -> list[Problem]:
        return self.resolution.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.resolution.warnings

    @property
    def infos(self) -> list[Problem]:
        """Notes, e.g. a node whose shape was not checked because a node it depends on has an
        error."""
        return self.resolution.infos

    @property
    def ok(self) -> bool:
        return self.resolution.ok

    def problems_for(self, node_id: str) -> list[Problem]:
        return [p for p in self.resolution.problems if p.node == node_id]

    def raise_if_invalid(self) -> None:
        if not self.ok:
            raise GraphError(problems=self.errors)

    def __str__(self) -> str:
        lines = [f"error: {p}" for p in self.errors] + [f"warning: {p}" for p in self.warnings]
        lines += [f"note: {p}" for p in self.infos]
        return "\n".join(lines) or "valid"


def validate(graph: Graph | dict, variables: Mapping[str, Any] | None = None, *,
             limits: Limits | None = None) -> Report:
    """Check ``graph`` (a :class:`Graph` or its parsed JSON) and infer every shape.

    ``limits`` sets the work budgets (:class:`~layerloom.graph.limits.Limits`: resolved layers,
    composite nesting, repeat, model memory); fields left unset take the ``LAYERLOOM_MAX_*``
    environment variables, then the defaults. A graph over budget gets an error naming the node
    and the figure, found before anything is expanded.

    >>> from layerloom.graph import load_graph
    >>> report = validate({"format": "layerloom-graph", "version": 1, "name": "t",
    ...     "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
    ...               {"id": "y", "type": "Output"}], "edges": []})
    >>> [str(p) for p in report.errors]
    ['y: Output has no input: connect a block to it']
    """
    if isinstance(graph, dict):
        from .io import parse_graph

        graph = parse_graph(graph)
    resolution = resolve(graph, variables, limits=limits)
    resolution.problems[:0] = _trainable_problems(graph) + _unknown_key_problems(graph)
    return Report(resolution)


# Any key other than the format's (KNOWN_KEYS) is kept in the file, for newer readers, but
# nothing reads it: a warning names it, since it is most often a misspelt key whose value is
# then silently left out ("param" for "params").
_KNOWN_KEYS = KNOWN_KEYS


def _unknown_key(key: str, kind: str) -> str:
    known = _KNOWN_KEYS[kind]
    # a close match is looked for among keys of a like length only (difflib takes seconds
    # over a key of megabytes, and none of those is a misspelling)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) if len(key) <= 40 else []
    hint = f" (did you mean '{close[0]}'?)" if close else f" (a {kind} has: {', '.join(known)})"
    return f"unknown key {shown_key(key)}{hint}: it is kept in the file, but nothing reads it"


def _unknown_key_problems(graph: Graph) -> list[Problem]:
    """A warning for each key the format does not know, on the graph, a node, an edge or a
    composite block, naming where it is."""
    def warn(node: str | None, message: str) -> Problem:
        return Problem(node, message, severity="warning")

    problems = [warn(None, _unknown_key(k, "graph")) for k in graph.extra
                if k not in _KNOWN_KEYS["graph"]]

    def level(nodes, edges, block: str | None = None) -> None:
        # inside a composite block the warning names the block and its node (the ids there are
        # the block's own, not the main graph's)
        where = f"block '{block}', " if block else ""
        for n in nodes:
            problems.extend(warn(None if block else n.id,
                                 (f"{where}node '{n.id}': " if block else "")
                                 + _unknown_key(k, "node"))
                            for k in n.extra if k not in _KNOWN_KEYS["node"])
        for e in edges:
            problems.extend(warn(None if block else e.target,
                                 f"{where}edge {e.source} → {e.target}: "
                                 + _unknown_key(k, "edge"))
                            for k in e.extra if k not in _KNOWN_KEYS["edge"])

    level(graph.nodes, graph.edges)
    for name, block in graph.blocks.items():
        problems.extend(warn(None, f"block '{name}': " + _unknown_key(k, "block"))
                        for k in block.extra if k not in _KNOWN_KEYS["block"])
        level(block.nodes, block.edges, name)
    return problems


def _trainable_problems(graph: Graph) -> list[Problem]:
    """A node's ``trainable`` must be a JSON boolean: ``"false"``, ``0`` or ``null`` would
    otherwise leave the node silently trainable."""
    def wrong(value: Any) -> str:
        if value is None:
            got = "null"
        elif isinstance(value, str):
            got = f"the string {value!r}"
        elif isinstance(value, (int, float)):
            got = f"the number {value}"
        else:
            got = "a list" if isinstance(value, list) else "an object"
        return (f"'trainable' must be true or false (a JSON boolean), got {got}; "
                f"write false to freeze the node, or leave the key out")

    problems = [Problem(n.id, wrong(n.extra["trainable"]), "trainable")
                for n in graph.nodes
                if "trainable" in n.extra and not isinstance(n.extra["trainable"], bool)]
    for name, block in graph.blocks.items():
        problems += [Problem(None, f"block '{name}', node '{n.id}': "
                                   f"{wrong(n.extra['trainable'])}")
                     for n in block.nodes
                     if "trainable" in n.extra and not isinstance(n.extra["trainable"], bool)]
    return problems
