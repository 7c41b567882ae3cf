"""The few edits further down a design that a new Input shape needs, found by trying them.

Fitting a design to data of another size changes its Input's shape; layers that shrink their
input (a convolution without padding, a pooling window) may then leave a later layer nothing
to work on: seed-cnn, made for 28×28 images, given scikit-learn's 8×8 digits, ends with pool2's
2×2 window over a 1×1 map. :func:`repair` looks for the fewest edits that make the design
valid again, among

- a convolution's ``padding`` set to keep its input's size (``(kernel - 1) // 2`` along each
  dimension, where it had none), for a convolution at or before a layer that fails, and
- a failing pooling window's ``kernel_size`` made no larger than its input,

tried one edit at a time, then two, then three (breadth first, so the answer has the fewest
edits; paddings before smaller windows, the convolution nearest the failing layer first), each
candidate validated. Every edit says why it is made. None when nothing tried validates: the
caller then offers no one-click fix and says what to change by hand.

>>> from layerloom.graph.templates import load_template
>>> g = load_template("seed-cnn")
>>> g.node("image").params["shape"] = [1, 8, 8]
>>> [(c.node, c.param, c.value) for c in repair(g)]
[('conv2', 'padding', 1)]
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from layerloom.graph import Graph, validate

CONVS = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3}
POOLS = {"MaxPool1d": 1, "MaxPool2d": 2, "AvgPool1d": 1, "AvgPool2d": 2}
MAX_EDITS = 3
MAX_TRIES = 150
MAX_SECONDS = 2.0


@dataclass(frozen=True)
class Edit:
    """One param of one node set to ``value``; ``why`` says what it keeps working."""

    node: str
    param: str
    value: Any
    why: str = ""

    def __str__(self) -> str:
        return f"{self.node}'s {self.param} to {_show(self.value)}" + \
            (f" ({self.why})" if self.why else "")


def repair(graph: Graph, variables: Mapping[str, Any] | None = None, *,
           max_edits: int = MAX_EDITS, max_tries: int = MAX_TRIES,
           max_seconds: float = MAX_SECONDS) -> list[Edit] | None:
    """The fewest :class:`Edit` s (in the design's order) that make ``graph`` validate with
    ``variables``: ``[]`` when it already does, None when none within ``max_edits`` edits
    does (or the search ran out of ``max_tries`` validations or ``max_seconds``)."""
    report = validate(graph, variables)
    if report.ok:
        return []
    deadline = time.monotonic() + max_seconds
    tries = 0
    level: list[tuple[tuple[Edit, ...], Any]] = [((), report)]
    seen: set[frozenset] = set()
    for _ in range(max_edits):
        following = []
        for edits, failed in level:
            for edit in _candidates(graph if not edits else _apply(graph, edits), failed,
                                    {(e.node, e.param) for e in edits}):
                tried = edits + (edit,)
                key = frozenset((e.node, e.param) for e in tried)
                if key in seen:
                    continue
                seen.add(key)
                if tries >= max_tries or time.monotonic() > deadline:
                    return None
                tries += 1
                result = validate(_apply(graph, tried), variables)
                if result.ok:
                    order = {n.id: i for i, n in enumerate(graph.nodes)}
                    return sorted(tried, key=lambda e: order.get(e.node, 0))
                following.append((tried, result))
        level = following
    return None


def _apply(graph: Graph, edits) -> Graph:
    fixed = graph.copy()
    for edit in edits:
        node = fixed.node(edit.node)
        if node is not None:
            node.params[edit.param] = edit.value
    return fixed


def _candidates(graph: Graph, report, edited: set) -> list[Edit]:
    """Edits that may fix the first failing top-level node: paddings on the convolutions at or
    before it (nearest first), then its own pooling window made to fit."""
    top = report.resolution.top if report.resolution is not None else None
    if top is None:
        return []
    failing = [p for p in report.errors if p.node and p.node in top.nodes
               and graph.node(p.node) is not None]
    if not failing:
        return []
    problem = failing[0]
    broken = top.nodes[problem.node]
    what = _what_fails(broken, problem)
    edits = []
    for node_id in _upstream(graph, problem.node):
        info = top.nodes.get(node_id)
        if info is None or info.type not in CONVS or (node_id, "padding") in edited:
            continue
        edit = _padding(info, what)
        if edit is not None:
            edits.append(edit)
    if broken.type in POOLS and (problem.node, "kernel_size") not in edited:
        edit = _smaller_window(broken)
        if edit is not None:
            edits.append(edit)
    return edits


def _what_fails(info, problem) -> str:
    """``pool2's 2×2 window fits`` — what an edit upstream keeps working, in words."""
    params = info.node.params
    if info.type in POOLS or info.type in CONVS:
        kernel = params.get("kernel_size", 2 if info.type in POOLS else 3)
        kernel = kernel if isinstance(kernel, (list, tuple)) else \
            [kernel] * (POOLS.get(info.type) or CONVS[info.type])
        if all(isinstance(k, int) for k in kernel):
            noun = "window" if info.type in POOLS else "kernel"
            return f"{info.id}'s {_times(kernel)} {noun} fits"
    return f"{info.id} works"


def _upstream(graph: Graph, node_id: str) -> list[str]:
    """``node_id`` and the nodes feeding it, nearest first (breadth first along the edges)."""
    sources: dict[str, list[str]] = {}
    for edge in graph.edges:
        sources.setdefault(edge.target, []).append(edge.source)
    order, queue, seen = [], [node_id], {node_id}
    while queue:
        current = queue.pop(0)
        order.append(current)
        for source in sources.get(current, []):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return order


def _padding(info, what: str) -> Edit | None:
    """Padding that keeps a convolution's input size (stride 1), where it has none written:
    a param given as an expression or already padded is the user's choice, left alone."""
    raw = info.node.params.get("padding", 0)
    if raw not in (0, "valid") and not (isinstance(raw, (list, tuple))
                                        and all(v == 0 for v in raw)):
        return None
    if info.repeat != 1 or not info.in_shapes or info.in_shapes[0] is None:
        return None
    n = CONVS[info.type]
    params = info.copies[0].params if len(info.copies) == 1 else {
        name: _tuple(info.node.params.get(name, default), n)
        for name, default in (("kernel_size", 3), ("dilation", 1), ("stride", 1))}
    if any(value is None for value in params.values()):
        return None  # written as an expression: left to the user
    spans = [d * (k - 1) + 1 for k, d in zip(params["kernel_size"], params["dilation"],
                                            strict=False)]
    pads = [(span - 1) // 2 for span in spans]
    if not any(pads):
        return None
    value = pads[0] if len(set(pads)) == 1 else pads
    size = _times(info.in_shapes[0][1:])
    keeps = f"keeps its {size} input's size" if all(s == 1 for s in params["stride"]) else \
        f"shrinks its {size} input less"
    return Edit(info.id, "padding", value, f"{keeps}, so that {what}")


def _smaller_window(info) -> Edit | None:
    """A failing pooling window no larger than its input."""
    if info.repeat != 1 or not info.in_shapes or info.in_shapes[0] is None:
        return None
    raw = info.node.params.get("kernel_size", 2)
    n = POOLS[info.type]
    kernel = list(raw) if isinstance(raw, (list, tuple)) else [raw] * n
    if not all(isinstance(k, int) for k in kernel) or len(kernel) != n:
        return None
    spatial = list(info.in_shapes[0][1:])
    smaller = [min(k, s) for k, s in zip(kernel, spatial, strict=False)]
    if smaller == kernel:
        return None
    value = smaller[0] if len(set(smaller)) == 1 and not isinstance(raw, (list, tuple)) \
        else smaller
    return Edit(info.id, "kernel_size", value, f"its input is only {_times(spatial)}")


def _tuple(value: Any, n: int) -> tuple | None:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    return tuple(values) if len(values) == n and all(isinstance(v, int) for v in values) \
        else None


def _times(values) -> str:
    return "×".join(str(v) for v in values)


def _show(value: Any) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]" if isinstance(value, (list, tuple)) \
        else str(value)
