"""A block of several inputs whose shapes do not go together names the block feeding each
input (and the port it comes in by), so that a newcomer finds the wire to change: 'Subtract
of [4] and [10]: sizes must match' named no block but the Subtract."""

from __future__ import annotations

from layerloom.graph import parse_graph, validate


def _graph(block: str, ports: list[str | None]) -> dict:
    edges = [{"source": "input1", "target": "linear1"}, {"source": "op", "target": "y"}]
    for source, port in zip(("input1", "linear1"), ports):
        edges.append({"source": source, "target": "op",
                      **({"target_port": port} if port else {})})
    return {"format": "layerloom-graph", "version": 1, "name": "two",
            "nodes": [{"id": "input1", "type": "Input", "params": {"shape": [4]}},
                      {"id": "linear1", "type": "Linear", "params": {"out_features": 10}},
                      {"id": "op", "type": block}, {"id": "y", "type": "Output"}],
            "edges": edges}


def _message(graph: dict) -> str:
    [error] = validate(parse_graph(graph)).errors
    assert error.node == "op"
    return error.message


def test_subtract_names_the_block_on_each_port():
    assert _message(_graph("Subtract", ["left", "right"])) == (
        "Subtract of [4] and [10]: sizes must match (or be 1) in every dimension "
        "(left: input1 gives [4]; right: linear1 gives [10])")


def test_add_numbers_its_inputs_as_the_canvas_does():
    assert _message(_graph("Add", [None, None])) == (
        "Add of [4] and [10]: sizes must match (or be 1) in every dimension "
        "(#1: input1 gives [4]; #2: linear1 gives [10])")


def test_concat_names_its_inputs_too():
    graph = _graph("Concat", [None, None])
    graph["nodes"][0]["params"]["shape"] = [2, 4]
    graph["nodes"][1]["params"]["out_features"] = 6  # [2, 6]: joins along 0 only if 4 == 6
    assert _message(graph).endswith("(#1: input1 gives [2, 4]; #2: linear1 gives [2, 6])")


def test_a_single_input_block_is_said_as_before():
    graph = {"format": "layerloom-graph", "version": 1, "name": "one",
             "nodes": [{"id": "input1", "type": "Input", "params": {"shape": [4]}},
                       {"id": "op", "type": "Conv2d", "params": {"out_channels": 2}},
                       {"id": "y", "type": "Output"}],
             "edges": [{"source": "input1", "target": "op"}, {"source": "op", "target": "y"}]}
    message = _message(graph)
    assert "gives [4]" in message and " (#1: " not in message
