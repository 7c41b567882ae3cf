"""Inside a composite block the canvas shows the shapes and values of the use opened: each
use resolves the shared block with its own params and input shape (graph/edit.py
``annotations``'s ``uses``, ``node_info`` and ``use_levels``)."""

from __future__ import annotations

import json

from layerloom.graph import validate
from layerloom.graph.edit import annotations, node_info
from layerloom.graph.templates import load_template


def test_efficientnet_stage5_shows_its_own_input_and_kernel():
    report = validate(load_template("efficientnet-b0"))
    nodes = annotations(report, ("Stage",), ("stage5",))["nodes"]
    assert nodes["x"]["output_shape"] == [80, 14, 14]
    assert nodes["first"]["values"]["kernel"] == 5 and nodes["first"]["values"]["expand"] == 6
    assert nodes["rest"]["values"]["repeat"] == 2
    first_use = annotations(report, ("Stage",))["nodes"]  # nothing opened: the first use
    assert first_use["x"]["output_shape"] == [32, 112, 112]
    assert first_use["first"]["values"]["kernel"] == 3


def test_a_use_opened_inside_another_use():
    report = validate(load_template("efficientnet-b0"))
    nodes = annotations(report, ("Stage", "MBConv"), ("stage5", "rest"))["nodes"]
    assert nodes["x"]["output_shape"] == [112, 14, 14]  # stage5's rest: after its first
    info = node_info(report, ("Stage", "MBConv"), "x", ("stage5", "rest"))
    assert list(info.shape) == [112, 14, 14]


def test_resnet_mini_stage3_shows_the_stride_2_use():
    report = validate(load_template("resnet-mini"))
    nodes = annotations(report, ("BasicBlock",), ("stage3",))["nodes"]
    assert nodes["x"]["output_shape"] == [32, 14, 14]
    assert nodes["conv1"]["values"] == {"out_channels": 64, "stride": [2, 2]}
    assert nodes["shortcut"]["values"]["repeat"] == 1  # the projection shortcut is used
    assert nodes["shortcut"]["values"]["stride"] == 2


def test_a_use_no_longer_there_falls_back_to_the_first():
    report = validate(load_template("resnet-mini"))
    nodes = annotations(report, ("BasicBlock",), ("gone",))["nodes"]
    assert nodes["x"]["output_shape"] == [16, 28, 28]


def test_a_block_behind_an_error_carries_why_it_has_no_shape():
    """Two uses of a block whose Add does not match: the first carries the error, the second
    (never checked: its input is unknown) a note saying why its shape is missing, which the
    inspector shows; neither note is a badge."""
    from layerloom.graph import loads_graph

    res = {"params": {}, "nodes": [
        {"id": "x", "type": "Input"},
        {"id": "c1", "type": "Conv2d", "params": {"out_channels": 24, "kernel_size": 3,
                                                  "padding": 1}},
        {"id": "add1", "type": "Add"}, {"id": "out", "type": "Output"}],
        "edges": [{"source": "x", "target": "c1"}, {"source": "c1", "target": "add1"},
                  {"source": "x", "target": "add1"}, {"source": "add1", "target": "out"}]}
    graph = loads_graph(json.dumps({
        "format": "layerloom-graph", "version": 1, "name": "twice", "blocks": {"Res": res},
        "nodes": [{"id": "img", "type": "Input", "params": {"shape": [32, 30, 30]}},
                  {"id": "block1", "type": "Res"}, {"id": "block2", "type": "Res"},
                  {"id": "o", "type": "Output"}],
        "edges": [{"source": "img", "target": "block1"}, {"source": "block1", "target": "block2"},
                  {"source": "block2", "target": "o"}]}))
    nodes = annotations(validate(graph))["nodes"]
    assert nodes["block1"]["errors"] == ["add1: Add of [24, 30, 30] and [32, 30, 30]: sizes "
                                         "must match (or be 1) in every dimension (#1: c1 "
                                         "gives [24, 30, 30]; #2: x gives [32, 30, 30])"]
    assert nodes["block2"]["errors"] == [] and nodes["block2"]["output_shape"] is None
    assert nodes["block2"]["notes"] == ["shape not checked: it depends on block1, which has an "
                                        "error"]
    assert "notes" not in nodes["img"]


def test_values_of_the_variables_show_on_blocks_behind_an_error():
    """transformer-text with heads = 3 (d_model 64 does not divide): the encoder and the
    layers after it are never built, but what the variables alone give still shows on their
    cards (nhead 3, its repeat 2, fc's classes 2); what needs a shape does not."""
    graph = load_template("transformer-text")
    graph.variables["heads"] = 3
    report = validate(graph)
    assert [p.message for p in report.errors] == [
        "d_model 64 is not divisible by nhead 3 (nhead = heads, with the variable heads = 3)"]
    nodes = annotations(report)["nodes"]
    assert nodes["encoder"]["values"]["nhead"] == 3
    assert nodes["encoder"]["values"]["repeat"] == graph.variables["layers"]
    assert nodes["fc"]["values"] == {"out_features": 2} and nodes["fc"]["output_shape"] is None
