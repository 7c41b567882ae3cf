"""A file's options as the design it is read for takes them.

An ``.npz`` whose x is ``[N, H, W]`` is read by its option ``channel_axis``: "auto" gives
8-bit images a channel axis (``[N, 1, H, W]``, as an image Input of one channel takes them),
which a design reading the rows as a sequence (an RNN or MLP on MNIST's rows, Input
``[28, 28]``) does not take. Where the design is known (training, resuming, explaining, the
Data page's check), "auto" is decided by its Input: no axis for an Input of two dimensions
``[H, W]``, the axis for ``[1, H, W]``. A run recorded before the option existed (no
``channel_axis`` in its options, trained on ``[N, H, W]``) is so read as it was recorded.
An option the user set (add, none) is kept as set.

>>> for_design("mnist.npz", {}, [28, 28])
{'channel_axis': 'none'}
>>> for_design("mnist.npz", {"channel_axis": "auto"}, [1, 28, 28])
{'channel_axis': 'add'}
>>> for_design("mnist.npz", {"channel_axis": "add"}, [28, 28])
{'channel_axis': 'add'}
>>> for_design("iris.csv", {}, [4])
{}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def for_design(source: Any, options: Mapping[str, Any],
               input_shape: Sequence[Any] | None) -> dict:
    """``options`` for ``source`` with an ``.npz``'s ``channel_axis`` "auto" (or unset)
    decided by the design's Input shape ``input_shape`` (None: not known, left as it is)."""
    options = dict(options)
    if input_shape is None or not str(source).lower().endswith(".npz") \
            or options.get("channel_axis", "auto") != "auto":
        return options
    shape = list(input_shape)
    if len(shape) == 2:
        options["channel_axis"] = "none"
    elif len(shape) == 3 and shape[0] == 1:
        options["channel_axis"] = "add"
    return options


def design_input_shape(graph: Any, variables: Mapping[str, Any] | None = None) -> list | None:
    """The shape of ``graph``'s one Input (a Graph or its JSON), its variables resolved; None
    when it has none, several, or a shape that does not resolve."""
    from layerloom.graph import Graph, validate

    if graph is None:
        return None
    if not isinstance(graph, Graph):
        try:
            from layerloom.graph import load_graph

            graph = load_graph(graph if isinstance(graph, (dict, str, Path)) else dict(graph))
        except Exception:  # noqa: BLE001 - a design that does not load decides nothing
            return None
    inputs = [node for node in graph.nodes if node.type == "Input"]
    if len(inputs) != 1:
        return None
    shape = (inputs[0].params or {}).get("shape")
    if isinstance(shape, (list, tuple)) and all(
            s is None or (isinstance(s, int) and not isinstance(s, bool)) for s in shape):
        return list(shape)
    try:  # a shape of variables ($size): as the design resolves them
        report = validate(graph, dict(variables or {}))
        info = report.resolution.top.nodes.get(inputs[0].id) if report.ok else None
    except Exception:  # noqa: BLE001
        return None
    return list(info.shape) if info is not None and info.shape is not None else None


def spec_for_design(spec: Mapping[str, Any], graph: Any,
                    variables: Mapping[str, Any] | None = None) -> dict:
    """A dataset spec (``runtime.dataset_spec``'s form) whose options are read for ``graph``
    (:func:`for_design`); a spec with a saved copy of its dataset as it is."""
    spec = dict(spec)
    if spec.get("saved") or not isinstance(spec.get("source"), (str, Path)):
        return spec
    shape = design_input_shape(graph, variables)
    spec["options"] = for_design(spec["source"], spec.get("options") or {}, shape)
    return spec
