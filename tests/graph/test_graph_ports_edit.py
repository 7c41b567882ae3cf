"""Grouping and ungrouping keep which output each wire takes: an edge from one output of a Chunk
into the selection keeps its source_port on the block's input, an edge leaving the selection
from a Chunk's output keeps it on the block's Output, and ungrouping a composite with several
outputs wires each outside edge to the Output it picked."""

from __future__ import annotations

import pytest

from layerloom.graph import GraphError, edit, load_graph, summarize


def _graph():
    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "edit-ports",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [6, 4, 4]}},
                  {"id": "split", "type": "Chunk", "params": {"chunks": 2}},
                  {"id": "a", "type": "ReLU"},
                  {"id": "b", "type": "Conv2d", "params": {"out_channels": 5, "kernel_size": 1}},
                  {"id": "cat", "type": "Concat"},
                  {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "split"},
                  {"source": "split", "target": "a", "source_port": 0},
                  {"source": "split", "target": "b", "source_port": 1},
                  {"source": "a", "target": "cat"}, {"source": "b", "target": "cat"},
                  {"source": "cat", "target": "y"}]})


def test_grouping_a_branch_keeps_the_output_it_is_fed_from():
    graph = _graph()
    grouped, node_id = edit.group(graph, ["b"], name="Branch")
    into = [e for e in grouped.edges if e.target == node_id]
    assert [(e.source, e.source_port) for e in into] == [("split", 1)]
    inner = grouped.blocks["Branch"].edges
    assert all(e.source_port is None for e in inner)
    assert summarize(grouped).outputs == summarize(graph).outputs == [[8, 4, 4]]


def test_grouping_the_split_keeps_the_output_that_leaves_it():
    graph = load_graph({**_graph().to_dict(), "edges": [
        {"source": "x", "target": "split"},
        {"source": "split", "target": "b", "source_port": 1},
        {"source": "b", "target": "y"}]})
    graph.nodes = [n for n in graph.nodes if n.id not in ("a", "cat")]
    grouped, node_id = edit.group(graph, ["split"], name="Half")
    block = grouped.blocks["Half"]
    [to_output] = [e for e in block.edges if e.target in block.output_ids()]
    assert (to_output.source, to_output.source_port) == ("split", 1)
    assert summarize(grouped).outputs == [[5, 4, 4]]


def test_grouping_a_split_whose_two_outputs_leave_is_refused():
    with pytest.raises(GraphError, match="a grouped block has one output, but 2 outputs of "
                                         "split feed blocks outside the selection"):
        edit.group(_graph(), ["split"], name="Both")


def test_ungrouping_a_composite_with_two_outputs_wires_each_edge_to_its_output():
    graph = load_graph({
        "format": "layerloom-graph", "version": 1, "name": "ungroup-ports",
        "blocks": {"TwoWay": {"params": {}, "nodes": [
            {"id": "inp", "type": "Input"},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": 3, "kernel_size": 1}},
            {"id": "main", "type": "Output"},
            {"id": "flat", "type": "Flatten"},
            {"id": "side", "type": "Output"}],
            "edges": [{"source": "inp", "target": "conv"}, {"source": "conv", "target": "main"},
                      {"source": "inp", "target": "flat"},
                      {"source": "flat", "target": "side"}]}},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2, 3, 3]}},
                  {"id": "two", "type": "TwoWay"},
                  {"id": "y", "type": "Output"}, {"id": "z", "type": "Output"}],
        "edges": [{"source": "x", "target": "two"},
                  {"source": "two", "target": "y", "source_port": "side"},
                  {"source": "two", "target": "z", "source_port": 0}]})
    before = summarize(graph).outputs
    flat, ids = edit.ungroup(graph, "two")
    assert sorted(ids) == ["conv", "flat"]
    wires = {e.target: (e.source, e.source_port) for e in flat.edges}
    assert wires["y"] == ("flat", None) and wires["z"] == ("conv", None)
    assert summarize(flat).outputs == before == [[18], [3, 3, 3]]


def test_the_expanded_model_wires_each_layer_to_the_output_it_reads():
    from layerloom.graph import validate

    graph = load_graph({
        "format": "layerloom-graph", "version": 1, "name": "expanded-ports",
        "blocks": {"TwoWay": {"params": {}, "nodes": [
            {"id": "inp", "type": "Input"},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": 3, "kernel_size": 1}},
            {"id": "main", "type": "Output"},
            {"id": "flat", "type": "Flatten"},
            {"id": "side", "type": "Output"}],
            "edges": [{"source": "inp", "target": "conv"}, {"source": "conv", "target": "main"},
                      {"source": "inp", "target": "flat"},
                      {"source": "flat", "target": "side"}]}},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4, 3, 3]}},
                  {"id": "split", "type": "Chunk", "params": {"chunks": 2}},
                  {"id": "two", "type": "TwoWay"},
                  {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                  {"id": "relu", "type": "ReLU"},
                  {"id": "y", "type": "Output"}, {"id": "z", "type": "Output"}],
        "edges": [{"source": "x", "target": "split"},
                  {"source": "split", "target": "two", "source_port": 1},
                  {"source": "two", "target": "fc", "source_port": "side"},
                  {"source": "two", "target": "relu"},
                  {"source": "fc", "target": "y"}, {"source": "relu", "target": "z"}]})
    layers = {m.path: m.inputs for m in edit.expanded(validate(graph).resolution.top)}
    assert layers["two/conv"] == ["split"] and layers["two/flat"] == ["split"]
    assert layers["fc"] == ["two/flat"]  # the composite's second output
    assert layers["relu"] == ["two/conv"]  # its first
