"""Inside a composite block the canvas shows the shapes and values of the use opened: each
use resolves the shared block with its own params and input shape (graph/edit.py
``annotations``'s ``uses``, ``node_info`` and ``use_levels``)."""

from __future__ import annotations

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
