"""The graph as Python objects: :class:`Graph`, :class:`Node`, :class:`Edge`, :class:`Block`.

They mirror the JSON format one to one (see ``graph-format.md``). Keys the format does not know
are kept in ``extra`` and written back, never silently dropped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

FORMAT = "layerloom-graph"
VERSION = 1


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    repeat: Any = None  # None: absent (1); an int or an "=expression"
    position: list[float] | None = None
    label: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.params:
            out["params"] = copy.deepcopy(self.params)
        if self.repeat is not None:
            out["repeat"] = self.repeat
        if self.position is not None:
            out["position"] = list(self.position)
        if self.label is not None:
            out["label"] = self.label
        out.update(copy.deepcopy(self.extra))
        return out


@dataclass
class Edge:
    source: str
    target: str
    port: int | str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # which output of the source (an index or the output port's name) for the few blocks with
    # several outputs (Chunk, Split, a composite with several Output nodes); None: the first
    source_port: int | str | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"source": self.source, "target": self.target}
        if self.port is not None:
            out["port"] = self.port
        if self.source_port is not None:
            out["source_port"] = self.source_port
        out.update(copy.deepcopy(self.extra))
        return out

    def __str__(self) -> str:
        port = f" [{_brief(self.port)}]" if self.port is not None else ""
        source = self.source if self.source_port is None else \
            f"{self.source}:{_brief(self.source_port)}"
        return f"{source} → {self.target}{port}"


def _brief(port: int | str) -> str:
    """A port as messages show it: a name of any length (a file may hold one) cut to 40."""
    text = str(port)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Block:
    """A composite block: a graph of its own whose Input nodes are its ports."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.description is not None:
            out["description"] = self.description
        out["params"] = copy.deepcopy(self.params)
        out["nodes"] = [n.to_dict() for n in self.nodes]
        out["edges"] = [e.to_dict() for e in self.edges]
        out.update(copy.deepcopy(self.extra))
        return out

    def input_ids(self) -> list[str]:
        return [n.id for n in self.nodes if n.type == "Input"]

    def output_ids(self) -> list[str]:
        """Its Output nodes in node order: with several, they are its output ports, named by
        id (an edge from the block picks one with ``source_port``)."""
        return [n.id for n in self.nodes if n.type == "Output"]


@dataclass
class Graph:
    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    description: str | None = None
    version: int = VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"format": FORMAT, "version": self.version, "name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["variables"] = copy.deepcopy(self.variables)
        out["blocks"] = {name: b.to_dict() for name, b in self.blocks.items()}
        out["nodes"] = [n.to_dict() for n in self.nodes]
        out["edges"] = [e.to_dict() for e in self.edges]
        out.update(copy.deepcopy(self.extra))
        return out

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def copy(self) -> Graph:
        return copy.deepcopy(self)
