"""Does the design fit the data, and the one-click fix when it does not.

Pure functions over a :class:`Graph` and a :class:`Dataset` (no Streamlit), so the Data page
only shows what :func:`check_fit` says and calls :func:`fit_design` when the user asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from layerloom.graph import Graph, validate
from layerloom.runtime.data import DataError, check_input

_VARIABLE = re.compile(r"^=\s*([A-Za-z_]\w*)\s*$")


@dataclass
class Fit:
    """What does not fit; ``ok`` when nothing."""

    input_id: str | None = None
    problems: list[str] = field(default_factory=list)  # in words, both sides named
    fixable: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def input_nodes(graph: Graph) -> list:
    return [node for node in graph.nodes if node.type == "Input"]


def check_fit(graph: Graph, ds) -> Fit:
    """Compare the design's Input with the dataset, and for classification the model's output
    width with the number of classes."""
    inputs = input_nodes(graph)
    if len(inputs) != 1:
        return Fit(None, [f"the design has {len(inputs)} Input blocks; training feeds one "
                          f"dataset to exactly one Input"], fixable=False)
    node = inputs[0]
    fit = Fit(node.id)
    shape = _resolved_input(graph, node.id)
    if shape is None:
        return Fit(node.id, [f"the design's Input {node.id!r} has no valid shape yet; set it to "
                             f"{list(ds.input_shape)} for {ds.name}"], fixable=True)
    try:
        check_input(ds, shape, node.params.get("dtype", "float32"))
    except DataError as err:
        fit.problems.append(str(err))
        fit.fixable = True
    classes = _class_problem(graph if fit.ok else _with_input(graph, node.id, ds), ds)
    if classes:
        fit.problems.append(classes[0])
        fit.fixable = fit.fixable or classes[1] is not None
    return fit


def fit_design(graph: Graph, ds) -> Graph:
    """A copy of ``graph`` whose Input takes ``ds`` (shape and dtype) and, for classification,
    whose last Linear has one output per class (through its variable when it reads one)."""
    inputs = input_nodes(graph)
    if len(inputs) != 1:
        raise ValueError(f"the design has {len(inputs)} Input blocks; fit it by hand")
    fixed = _with_input(graph, inputs[0].id, ds)
    problem = _class_problem(fixed, ds)
    if problem and problem[1] is not None:
        node = fixed.node(problem[1])
        raw = node.params.get("out_features")
        match = _VARIABLE.match(raw) if isinstance(raw, str) else None
        if match and match.group(1) in fixed.variables:
            fixed.variables[match.group(1)] = len(ds.classes)
        else:
            node.params["out_features"] = len(ds.classes)
    return fixed


def _resolved_input(graph: Graph, input_id: str) -> list[int] | None:
    """The Input's shape with its expressions evaluated (``["=features"]`` → ``[4]``)."""
    info = validate(graph).resolution.top.nodes.get(input_id)
    return list(info.shape) if info is not None and info.shape is not None else None


def _with_input(graph: Graph, input_id: str, ds) -> Graph:
    """Set the Input's shape and dtype; a size written as a variable (``"=features"``) is
    changed through its variable, so the rest of the design that reads it follows."""
    fixed = graph.copy()
    node = fixed.node(input_id)
    raw = node.params.get("shape")
    raw = list(raw) if isinstance(raw, (list, tuple)) and len(raw) == len(ds.input_shape) else None
    wanted: dict[str, int] = {}
    shape: list = []
    for i, size in enumerate(ds.input_shape):
        match = _VARIABLE.match(raw[i]) if raw and isinstance(raw[i], str) else None
        name = match.group(1) if match else None
        if name in fixed.variables and wanted.get(name, size) == size:
            wanted[name] = size
            shape.append(raw[i])
        else:
            shape.append(int(size))
    fixed.variables.update(wanted)
    node.params["shape"] = shape
    node.params["dtype"] = ds.dtype
    return fixed


def _class_problem(graph: Graph, ds) -> tuple[str, str | None] | None:
    """(message, id of the Linear to change or None) when the output width is not the number
    of classes; None when it is, when the task is not classification, or when the design is
    invalid for other reasons (the designer shows those)."""
    if ds.task != "classification" or not ds.classes or graph.extra.get("task") in (
            "reconstruction", "regression"):
        return None
    report = validate(graph)
    if not report.ok:
        return None
    top = report.resolution.top
    outputs = [top.nodes[i].shape for i in top.outputs]
    if len(outputs) != 1 or not outputs[0]:
        return None
    width, n = outputs[0][-1], len(ds.classes)
    if width == n:
        return None
    linears = [i for i, info in top.nodes.items() if info.type == "Linear" and info.used]
    target = linears[-1] if linears else None
    fix = (f"; set {target}'s out_features to {n}" if target
           else "; end the design with a Linear block of that many outputs")
    return (f"The design's output has {width} values per sample but {ds.name} has {n} "
            f"classes{fix}.", target)
