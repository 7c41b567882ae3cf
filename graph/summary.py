"""``summarize(graph)``: the per-node table and totals of a valid graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .blocks.common import prod
from .model import Graph
from .resolve import BYTES, Resolution
from .validate import Report, validate


@dataclass
class NodeSummary:
    id: str
    type: str
    output_shape: list[int]
    params: int
    macs: int
    # a block with several outputs (Chunk, Split): each port's shape (output_shape: the first's)
    output_shapes: list[list[int]] | None = None

    def to_dict(self) -> dict:
        out = {"id": self.id, "type": self.type, "output_shape": list(self.output_shape),
               "params": self.params, "macs": self.macs}
        if self.output_shapes is not None:
            out["output_shapes"] = [list(s) for s in self.output_shapes]
        return out

    @property
    def output_text(self) -> str:
        """``[8, 4, 4]``, or one shape per output: ``[3, 4, 4], [5, 4, 4]``."""
        shapes = self.output_shapes or [self.output_shape]
        return ", ".join(str(list(s)) for s in shapes)


@dataclass
class Summary:
    name: str
    params: int
    trainable_params: int
    macs: int
    inputs: list[list[int]]
    outputs: list[list[int]]
    nodes: list[NodeSummary]
    activation_bytes: int  # activations of one sample's forward pass, an estimate
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "params": self.params,
                "trainable_params": self.trainable_params, "macs": self.macs,
                "inputs": self.inputs, "outputs": self.outputs,
                "nodes": [n.to_dict() for n in self.nodes]}

    def table(self) -> str:
        """A fixed-width table for the terminal."""
        rows = [(n.id, n.type, n.output_text, f"{n.params:,}", f"{n.macs:,}")
                for n in self.nodes]
        head = ("id", "type", "output", "params", "MACs")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
        fmt = "  ".join(f"{{:{'>' if i >= 3 else '<'}{w}}}" for i, w in enumerate(widths))
        lines = [fmt.format(*head), "  ".join("-" * w for w in widths)]
        lines += [fmt.format(*r) for r in rows]
        lines.append("")
        lines.append(f"total params: {self.params:,} (trainable {self.trainable_params:,})")
        lines.append(f"MACs per sample: {self.macs:,}")
        lines.append(f"activation memory per sample: ~{format_bytes(self.activation_bytes, binary=True)}")
        return "\n".join(lines)


def summarize(graph: Graph | dict | Report, variables: Mapping[str, Any] | None = None
              ) -> Summary:
    """The summary of a valid graph; an invalid one raises :class:`GraphError` with its problems.

    Node ids inside composite blocks are joined with ``/`` (``layer1/c1``); a block repeated k ≥ 2
    times numbers its copies (``layer2/0/c1``).
    """
    report = graph if isinstance(graph, Report) else validate(graph, variables)
    report.raise_if_invalid()
    return _summary(report.resolution)


def _summary(res: Resolution) -> Summary:
    top = res.top
    nodes, activations = [], 0
    for path, info, layer in top.leaves():
        shapes = [list(s) for s in layer.shapes] if layer.shapes else None
        nodes.append(NodeSummary(path, info.type, list(layer.shape), layer.n_params, layer.macs,
                                 shapes))
        if info.type not in ("Input", "Output", "Identity"):
            activations += sum(prod(s) for s in (layer.shapes or [layer.shape])) * \
                BYTES.get("float32")
    params = top.n_params
    return Summary(
        name=res.graph.name, params=params, trainable_params=params - _frozen(top),
        macs=top.macs,
        inputs=[list(top.nodes[i].shape) for i in top.inputs],
        outputs=[list(top.nodes[o].shape) for o in top.outputs],
        nodes=nodes, activation_bytes=activations,
        warnings=[str(w) for w in res.warnings])


def _frozen(level) -> int:
    """Parameters of nodes marked ``"trainable": false`` (a composite's: all inside it)."""
    total = 0
    for info in level.nodes.values():
        if not info.used:
            continue
        if info.node.extra.get("trainable") is False:
            total += info.n_params
        elif info.block is not None:
            total += sum(_frozen(copy) for copy in info.copies)
    return total


def format_bytes(n: int, *, binary: bool = False) -> str:
    """A byte count for people: powers of 1000 up to MB (file sizes), or with ``binary`` powers
    of 1024 up to GiB (memory).

    >>> format_bytes(999), format_bytes(140_500), format_bytes(3_000_000_000)
    ('999 B', '140.5 kB', '3000.0 MB')
    >>> format_bytes(269_517, binary=True)
    '263.2 KiB'
    """
    base, units = (1024, ("B", "KiB", "MiB", "GiB")) if binary else (1000, ("B", "kB", "MB"))
    for unit in units:
        if n < base or unit == units[-1]:
            break
        n /= base
    return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
