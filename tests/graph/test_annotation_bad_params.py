"""The params a node's problems name, told to the canvas (graph/edit.py ``annotations``'s
``bad_params``), so that a card shows the param at fault beside its error badge: a Linear
whose in_features is 8 but is fed 4 showed out_features alone, in_features being no key param.
"""

from __future__ import annotations

from layerloom.graph import validate
from layerloom.graph.edit import annotations
from layerloom.graph.io import parse_graph


def _graph(linear_params: dict):
    return parse_graph({
        "format": "layerloom-graph", "version": 1, "name": "g",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "l1", "type": "Linear", "params": linear_params},
                  {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "l1"}, {"source": "l1", "target": "y"}]})


def test_a_wrong_in_features_is_named_as_the_param_at_fault():
    nodes = annotations(validate(_graph({"in_features": 8, "out_features": 16})))["nodes"]
    assert nodes["l1"]["bad_params"] == ["in_features"]
    assert any("in_features is 8" in m for m in nodes["l1"]["errors"])
    assert "bad_params" not in nodes["x"] and "bad_params" not in nodes["y"]


def test_a_node_without_problems_names_no_param():
    nodes = annotations(validate(_graph({"out_features": 16})))["nodes"]
    assert all("bad_params" not in ann for ann in nodes.values())
