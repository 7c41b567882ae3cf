"""Which nodes are on a path from an Input to an Output, and only true messages about it: a node
left out is no part of the model (not one of its inputs either), a cycle or an edge into an
Input never makes an existing Input or Output look missing, and one local mistake does not make
its neighbours look cut off."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, summarize, validate

LEFT_OUT = "not on a path from an Input to an Output ({}); it is left out of the model"


def _lines(graph) -> list[str]:
    report = validate(parse_graph(graph))
    return ([f"error: {p}" for p in report.errors] + [f"warning: {p}" for p in report.warnings])


# -- a node left out is no input of the model (report #3) ----------------------------------------

def test_an_input_left_out_is_not_one_of_the_models_inputs(seed_cnn):
    seed_cnn["nodes"].append({"id": "unused", "type": "Input", "params": {"shape": [3]}})
    report = validate(parse_graph(seed_cnn))
    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "unused: " + LEFT_OUT.format("it leads to no Output")]
    assert report.resolution.top.inputs == ["image"]
    assert summarize(report).inputs == [[1, 28, 28]]


def test_the_compiled_model_takes_only_the_inputs_it_keeps(seed_cnn):
    import inspect

    from layerloom.graph.compile import compile_graph

    seed_cnn["nodes"].insert(0, {"id": "unused", "type": "Input", "params": {"shape": [3]}})
    model = compile_graph(seed_cnn)
    assert list(inspect.signature(model.forward).parameters) == ["image"]


# -- a cycle, or an edge into an Input (report #5) ----------------------------------------------

def test_a_cycle_is_reported_alone(seed_cnn):
    seed_cnn["edges"].append({"source": "relu2", "target": "conv1"})
    assert _lines(seed_cnn) == [
        "error: conv1: cycle: conv1 → relu1 → pool1 → conv2 → relu2 → conv1 (a graph must flow "
        "one way; remove one of these edges)"]


def test_an_edge_into_the_input_on_a_cycle_is_said_and_nothing_is_called_missing(seed_cnn):
    seed_cnn["edges"].append({"source": "conv1", "target": "image"})
    assert _lines(seed_cnn) == [
        "error: image: an Input cannot have incoming edges (from conv1); remove that edge: an "
        "Input takes the model's data",
        "error: image: cycle: image → conv1 → image (a graph must flow one way; remove one of "
        "these edges)"]
    report = validate(parse_graph(seed_cnn))
    assert report.errors[0].edge == "conv1 → image"


def test_a_graph_with_neither_input_nor_output_is_still_told_so():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "nodes": [{"id": "fc", "type": "Linear"}], "edges": []}
    assert _lines(g) == [
        "error: graph: the graph has no Input node: add one to feed the model",
        "error: graph: the graph has no Output node: add one after the last layer",
        "warning: fc: " + LEFT_OUT.format("no Input feeds it")]


# -- one local mistake, no cascade of warnings (report #6) --------------------------------------

def _notes(graph) -> list[str]:
    return [str(p) for p in validate(parse_graph(graph)).infos]


def test_an_unknown_type_gives_its_error_and_no_warnings(seed_cnn):
    seed_cnn["nodes"][1]["type"] = "Conv2D"
    assert _lines(seed_cnn) == [
        "error: conv1: unknown block type 'Conv2D' (did you mean 'Conv2d' or 'Conv3d' or "
        "'Conv1d'?)"]


def test_an_edge_from_a_missing_node_gives_its_error_only(seed_cnn):
    seed_cnn["edges"][0]["source"] = "img"
    assert _lines(seed_cnn) == ["error: conv1: edge img → conv1: no node 'img'"]
    assert _notes(seed_cnn)[0] == "relu1: shape not checked: it depends on conv1, which has an error"


def test_mixed_port_use_gives_its_error_only(seed_cnn):
    seed_cnn["nodes"].insert(2, {"id": "add", "type": "Add"})
    seed_cnn["edges"][1] = {"source": "conv1", "target": "add", "port": 0}
    seed_cnn["edges"] += [{"source": "conv1", "target": "add"},
                          {"source": "add", "target": "relu1"}]
    assert _lines(seed_cnn) == [
        "error: add: the edges into this node must either all name their port or none may"]


def test_two_edges_into_the_output_give_its_error_only(seed_cnn):
    seed_cnn["edges"].append({"source": "flat", "target": "probs"})
    assert _lines(seed_cnn) == [
        "error: probs: Output takes 1 input, but 2 are connected (from fc, flat)"]


def test_a_duplicate_edge_gives_its_error_only(seed_cnn):
    seed_cnn["edges"].append({"source": "flat", "target": "fc"})
    assert _lines(seed_cnn) == [
        "error: fc: Linear takes 1 input, but 2 are connected (from flat, flat)"]


def test_a_real_dangling_branch_is_still_warned_beside_another_error(seed_cnn):
    seed_cnn["nodes"][1]["type"] = "Conv2D"
    seed_cnn["nodes"].append({"id": "side", "type": "ReLU"})
    seed_cnn["edges"].append({"source": "pool2", "target": "side"})
    assert _lines(seed_cnn)[1:] == ["warning: side: " + LEFT_OUT.format("it leads to no Output")]


# -- a node with no edges at all: the documented warning (report #4) ----------------------------

@pytest.mark.parametrize("node", [{"id": "orphan", "type": "Linear"},
                                  {"id": "lonely", "type": "ReLU"}])
def test_a_node_with_no_edges_is_a_warning_only(seed_cnn, node):
    seed_cnn["nodes"].append(node)
    report = validate(parse_graph(seed_cnn))
    assert report.ok and report.infos == []
    assert [str(w) for w in report.warnings] == [
        f"{node['id']}: " + LEFT_OUT.format("no Input feeds it")]
    assert summarize(report).params == 34_826


def test_a_chain_fed_by_nothing_and_leading_nowhere_is_warned_not_noted(seed_cnn):
    seed_cnn["nodes"] += [{"id": "a", "type": "Linear"}, {"id": "b", "type": "ReLU"}]
    seed_cnn["edges"].append({"source": "a", "target": "b"})
    report = validate(parse_graph(seed_cnn))
    assert report.ok and report.infos == []
    assert [str(w) for w in report.warnings] == [
        "a: " + LEFT_OUT.format("no Input feeds it"), "b: " + LEFT_OUT.format("no Input feeds it")]


def test_a_node_fed_by_nothing_that_the_model_needs_is_an_error(seed_cnn):
    seed_cnn["nodes"].insert(8, {"id": "add", "type": "Add"})
    seed_cnn["nodes"].append({"id": "bias", "type": "Linear"})
    seed_cnn["edges"] = [e for e in seed_cnn["edges"] if e["target"] != "probs"]
    seed_cnn["edges"] += [{"source": "fc", "target": "add"}, {"source": "bias", "target": "add"},
                          {"source": "add", "target": "probs"}]
    assert _lines(seed_cnn) == [
        "error: bias: Linear has no input: connect a block to it",
        "warning: bias: " + LEFT_OUT.format("no Input feeds it")]


def test_a_typo_in_a_node_left_out_is_still_an_error(seed_cnn):
    seed_cnn["nodes"].append({"id": "orphan", "type": "Linear", "params": {"out_feature": 3}})
    assert _lines(seed_cnn) == [
        "error: orphan.out_feature: Linear has no param 'out_feature' (did you mean "
        "'out_features'?); it takes: out_features, bias",
        "warning: orphan: " + LEFT_OUT.format("no Input feeds it")]
