"""Which nodes are on a path from an Input to an Output, and only true messages about it: a node
left out is no part of the model (not one of its inputs either), a cycle or an edge into an
Input never makes an existing Input or Output look missing, and one local mistake does not make
its neighbours look cut off."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, summarize, validate

LEFT_OUT = ("not on a path from an Input to an Output ({}); it is left out of the model: wire it "
            "in, or delete it")


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
        "error: graph: the graph has no Output node: add one after the last layer"]


# -- one local mistake, no cascade of warnings (report #6) --------------------------------------

def _notes(graph) -> list[str]:
    return [str(p) for p in validate(parse_graph(graph)).infos]


def test_an_unknown_type_gives_its_error_and_no_warnings(seed_cnn):
    seed_cnn["nodes"][1]["type"] = "Conv2D"
    assert _lines(seed_cnn) == [
        "error: conv1: unknown block type 'Conv2D' (did you mean 'Conv2d' or 'Conv3d' or "
        "'Conv1d'?)"]


@pytest.mark.parametrize(("keras", "blocks"), [
    ("Dense", "'Linear'"), ("BatchNormalization", "'BatchNorm2d' or 'BatchNorm1d'"),
    ("GlobalAveragePooling2D", "'AdaptiveAvgPool2d'"), ("MaxPooling2D", "'MaxPool2d'"),
])
def test_a_keras_layer_name_points_at_its_block(seed_cnn, keras, blocks):
    """A design written from a Keras model (the design note's example is one) names Keras'
    layers: each is pointed at the block of PyTorch's name."""
    seed_cnn["nodes"][-2]["type"] = keras
    [line] = _lines(seed_cnn)
    node = seed_cnn["nodes"][-2]["id"]
    assert line.startswith(f"error: {node}: unknown block type '{keras}' (did you mean {blocks}")


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
        "'out_features'?); it takes: out_features, bias, weight_norm, spectral_norm",
        "warning: orphan: " + LEFT_OUT.format("no Input feeds it")]


def _no_flatten(task: str | None = "classification", shape=(1, 28, 28)) -> dict:
    design = {"format": "layerloom-graph", "version": 1, "name": "no-flatten",
              "nodes": [{"id": "img", "type": "Input", "params": {"shape": list(shape)}},
                        {"id": "conv1", "type": "Conv2d",
                         "params": {"out_channels": 32, "kernel_size": 3}},
                        {"id": "act", "type": "ReLU"},
                        {"id": "linear1", "type": "Linear", "params": {"out_features": 10}},
                        {"id": "out", "type": "Output"}],
              "edges": [{"source": "img", "target": "conv1"},
                        {"source": "conv1", "target": "act"},
                        {"source": "act", "target": "linear1"},
                        {"source": "linear1", "target": "out"}]}
    if task:
        design["task"] = task
    return design


def test_a_linear_on_an_image_map_is_warned_without_a_dataset():
    """The commonest beginner mistake (no Flatten) is said as the design is drawn, naming the
    Linear, what it is fed and the fix; the design still validates (PyTorch would run it)."""
    report = validate(_no_flatten())
    assert report.ok
    (warning,) = [w for w in report.warnings if "last dimension" in w.message]
    assert warning.node == "linear1"
    assert warning.message == (
        "a Linear acts on the last dimension only: fed act's [32, 26, 26] feature map, it "
        "gives [32, 26, 10] per sample, and so does the model; to classify (or regress) the "
        "whole input, add Flatten (or global pooling) before linear1")
    assert not [w for w in validate(_no_flatten(task=None)).warnings if w.node != "linear1"]


def test_a_linear_on_a_sequence_or_after_flatten_is_not_warned():
    fixed = _no_flatten()
    fixed["nodes"].insert(3, {"id": "flat", "type": "Flatten"})
    fixed["edges"][2] = {"source": "act", "target": "flat"}
    fixed["edges"].insert(3, {"source": "flat", "target": "linear1"})
    assert not validate(fixed).warnings
    sequence = _no_flatten()  # a [sequence, features] map: how Transformers use a Linear
    sequence["nodes"] = [n for n in sequence["nodes"] if n["id"] not in ("conv1", "act")]
    sequence["nodes"][0]["params"]["shape"] = [16, 8]
    sequence["edges"] = [{"source": "img", "target": "linear1"},
                         {"source": "linear1", "target": "out"}]
    assert validate(sequence).ok and not validate(sequence).warnings
    assert not validate(_no_flatten(task="reconstruction")).warnings
