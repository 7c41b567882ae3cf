"""The default budgets are generous for real designs: ResNet-152, EfficientNet-B7 (the
efficientnet-b0 template scaled by its variables) and a 2,000-node designer graph all validate,
with their published parameter counts; and the layer count made before expanding agrees with the
layers resolution then makes (a budget set to exactly that count passes, one less fails)."""

from __future__ import annotations

import re

import pytest

from layerloom.graph import parse_graph, summarize, validate
from layerloom.graph.limits import Limits
from layerloom.graph.templates import load_template
from resnet_design import node as _node
from resnet_design import resnet


def designer_graph(n_nodes: int = 2000) -> dict:
    """A flat residual trunk of ``n_nodes`` nodes, as a designer might draw one."""
    nodes = [_node("x", "Input", {"shape": [16, 32, 32]})]
    edges, prev, skip = [], "x", "x"
    for i in range(n_nodes - 2):
        node_id, kind = f"n{i}", i % 4
        if kind == 0:
            nodes.append(_node(node_id, "Conv2d", {"out_channels": "=width", "kernel_size": 3,
                                                   "padding": 1}))
        else:
            nodes.append(_node(node_id, ("BatchNorm2d", "ReLU", "Add")[kind - 1]))
        if kind == 3:
            edges.append({"source": skip, "target": node_id})
            skip = node_id
        edges.append({"source": prev, "target": node_id})
        prev = node_id
    nodes.append(_node("y", "Output"))
    edges.append({"source": prev, "target": "y"})
    return {"format": "layerloom-graph", "version": 1, "name": "trunk",
            "variables": {"width": 16}, "nodes": nodes, "edges": edges}


B7 = {"width": 2.0, "depth": 3.1, "resolution": 600}


def counted(graph, variables=None) -> int:
    """The layer count validation works out before expanding (read from its message)."""
    errors = validate(graph, variables, limits=Limits(max_layers=1)).errors
    assert len(errors) == 1, errors
    return int(re.search(r"resolves to ([\d,]+) layers", errors[0].message)[1].replace(",", ""))


@pytest.mark.parametrize("name", ["resnet152", "efficientnet-b7", "designer-2000"])
def test_real_designs_pass_the_default_budgets(name):
    if name == "resnet152":
        graph, variables, params = parse_graph(resnet()), None, 60_192_808
    elif name == "efficientnet-b7":
        graph, variables, params = load_template("efficientnet-b0"), B7, 66_347_960
    else:
        graph, variables, params = parse_graph(designer_graph()), None, 500 * (16 * 16 * 9 + 16)
        params += 500 * 32  # 500 BatchNorm2d: weight and bias per channel
    report = validate(graph, variables)  # its time: benchmarks/validate_bench.py
    assert report.ok, report.errors[:3]
    assert summarize(report).params == params
    layers = counted(graph, variables)
    assert layers <= Limits.from_env().max_layers / 20  # far inside the default
    # the count made before expanding is the count made while expanding
    assert validate(graph, variables, limits=Limits(max_layers=layers)).ok
    fewer = validate(graph, variables, limits=Limits(max_layers=layers - 1)).errors
    assert len(fewer) == 1 and "more than the limit of" in fewer[0].message


def test_depth_counts_composite_nesting():
    graph = load_template("efficientnet-b0")  # Stage → MBConv: two levels
    assert validate(graph, limits=Limits(max_depth=2)).ok
    errors = validate(graph, limits=Limits(max_depth=1)).errors
    assert errors[0].node == "stage1"
    assert "composite blocks are nested 2 deep here (Stage → MBConv), more than the limit of 1" \
        in errors[0].message
