"""What the canvas is told a node's expressions came to (graph/edit.py ``annotations``'s
``values``), so a block shows ``out_channels 48`` over ``=round(32*width)`` and not a cut
expression: expressions only, lists with one in them whole, repeats, composite blocks' params,
and inside a block the values of its first use."""

from __future__ import annotations

from layerloom.graph import validate
from layerloom.graph.edit import annotations
from layerloom.graph.io import parse_graph
from layerloom.graph.templates import load_template

LONG = "=round(base_width * width_mult * 2)"


def _values(graph, path=()) -> dict:
    nodes = annotations(validate(graph), path)["nodes"]
    return {k: v["values"] for k, v in nodes.items() if "values" in v}


def test_expressions_resolve_to_what_the_variables_give_and_plain_values_are_left_out():
    graph = parse_graph({
        "format": "layerloom-graph", "version": 1, "name": "g",
        "variables": {"base_width": 16, "width_mult": 1.5, "side": 8},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3, "=side", "=side"]}},
                  {"id": "c", "type": "Conv2d", "params": {"out_channels": LONG,
                                                           "kernel_size": 3}},
                  {"id": "r", "type": "ReLU", "repeat": "=1 if base_width > 8 else 0"},
                  {"id": "o", "type": "Output"}],
        "edges": [{"source": "x", "target": "c"}, {"source": "c", "target": "r"},
                  {"source": "r", "target": "o"}]})
    assert _values(graph) == {"x": {"shape": [3, 8, 8]}, "c": {"out_channels": 48},
                              "r": {"repeat": 1}}


def test_an_expression_that_does_not_resolve_has_no_value():
    graph = parse_graph({
        "format": "layerloom-graph", "version": 1, "name": "g", "variables": {},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "l", "type": "Linear", "params": {"out_features": "=nope * 2"}},
                  {"id": "o", "type": "Output"}],
        "edges": [{"source": "x", "target": "l"}, {"source": "l", "target": "o"}]})
    assert _values(graph) == {}


def test_composite_params_repeats_and_a_blocks_inside_in_its_first_use():
    top = _values(load_template("resnet-mini"))
    assert top["stem"] == {"out_channels": 16}
    assert top["stage2"] == {"channels": 32}  # a composite block's param
    assert top["stage2_rest"] == {"channels": 32, "repeat": 1}  # =depth - 1 at depth 2
    inside = _values(load_template("resnet-mini"), ("BasicBlock",))
    assert inside["conv1"] == {"out_channels": 16, "stride": [1, 1]}  # stage1's channels
    assert inside["shortcut"] == {"repeat": 0}  # not needed where stage1 uses it
    b0 = _values(load_template("efficientnet-b0"))
    assert b0["stem_conv"] == {"out_channels": 32} and b0["head_conv"] == {"out_channels": 1280}
