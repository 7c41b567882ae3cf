"""Every shipped template: it loads, validates cleanly, carries its metadata and lays out left to
right; ``load_template``/``list_templates`` behave, and unknown names are refused helpfully."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from layerloom.graph import Graph, GraphError, summarize, validate
from layerloom.graph.templates import (list_templates, load_template, template_names,
                                       template_text)

EXPECTED = {  # name: (task, dataset, input shapes, output shapes)
    "seed-cnn": ("classification", "mnist-5k", [[1, 28, 28]], [[10]]),
    "mlp-tabular": ("classification", "iris", [[4]], [[3]]),
    "lenet5": ("classification", "mnist-5k", [[1, 28, 28]], [[10]]),
    "resnet-mini": ("classification", "mnist-5k", [[1, 28, 28]], [[10]]),
    "resnet18": ("classification", None, [[3, 224, 224]], [[1000]]),
    "efficientnet-b0": ("classification", None, [[3, 224, 224]], [[1000]]),
    "transformer-text": ("classification", "text-sentiment", [[32]], [[2]]),
    "lstm-text": ("classification", "text-sentiment", [[32]], [[2]]),
    "cnn1d-sequence": ("classification", "waveforms", [[1, 128]], [[5]]),
    "conv-autoencoder": ("reconstruction", "mnist-5k", [[1, 28, 28]], [[1, 28, 28]]),
}
NAMES = template_names()
# The built-in datasets a template may suggest, with the input shape each gives
# (runtime/data/builtin.py; the graph package does not import the runtime).
DATASET_SHAPES = {"mnist-5k": [1, 28, 28], "iris": [4], "text-sentiment": [32],
                  "waveforms": [1, 128]}


def test_the_shipped_templates_are_the_expected_ones():
    assert NAMES == sorted(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_template_validates_without_errors_or_warnings(name):
    report = validate(load_template(name))
    assert report.errors == [], str(report)
    assert report.warnings == [], str(report)


@pytest.mark.parametrize("name", NAMES)
def test_template_metadata_and_shapes(name):
    graph = load_template(name)
    task, dataset, inputs, outputs = EXPECTED[name]
    assert graph.name == name
    assert graph.extra["task"] == task
    assert graph.extra["dataset"] == dataset
    assert len(graph.description) > 60
    assert graph.variables, "templates expose variables to scale them"
    summary = summarize(graph)
    assert (summary.inputs, summary.outputs) == (inputs, outputs)
    if dataset is not None:
        assert inputs[0] == DATASET_SHAPES[dataset]


@pytest.mark.parametrize("name", NAMES)
def test_template_is_laid_out_left_to_right(name):
    """Every node has a position and no two share one. Blocks' insides read left to right in
    300 px columns (cards up to 200 px wide leave 100 px for a wire's shape: in 220 px columns
    most of their wires showed '…'); the top level reads like text (the designer opens it
    readable at 1440x900): left to right along a row, rows wrapping downwards, so every edge
    points rightwards within its row or down to a later row."""
    graph = load_template(name)
    levels = [(name, graph.nodes, graph.edges, False)]
    levels += [(f"{name}/{b.name}", b.nodes, b.edges, True) for b in graph.blocks.values()]
    for where, nodes, edges, columns in levels:
        positions = {n.id: tuple(n.position) for n in nodes}
        assert all(p is not None for p in positions.values()), where
        assert len(set(positions.values())) == len(positions), f"{where}: nodes overlap"
        for edge in edges:
            (sx, sy), (tx, ty) = positions[edge.source], positions[edge.target]
            if columns:  # a block's branches sit above or below its main line
                assert sx < tx, f"{where}: {edge}"
            else:
                same_row = abs(ty - sy) < ROW_GAP
                assert (same_row and sx < tx) or ty >= sy + ROW_GAP, f"{where}: {edge}"
        if columns:
            xs = sorted({p[0] for p in positions.values()})
            assert all(b - a == 300 for a, b in zip(xs, xs[1:])), f"{where}: columns {xs}"


ROW_GAP = 100  # rows of the top level are 140+ px apart; cards in a row differ by < 40 px


@pytest.mark.parametrize("name", NAMES)
def test_template_file_is_tidy_json_that_round_trips(name):
    text = template_text(name)
    raw = json.loads(text)
    assert raw["format"] == "layerloom-graph" and raw["version"] == 1
    again = load_template(name).to_dict()
    assert again == raw  # nothing lost or added by parsing (task and dataset kept)
    assert text == (resources.files("layerloom.assets") / "templates" / f"{name}.json"
                    ).read_text(encoding="utf-8")


def test_list_templates_summarises_each_template():
    entries = {e["name"]: e for e in list_templates()}
    assert sorted(entries) == NAMES
    seed = entries["seed-cnn"]
    assert seed["params"] == 34_826
    assert seed["macs"] == summarize(load_template("seed-cnn")).macs
    assert (seed["inputs"], seed["outputs"]) == ([[1, 28, 28]], [[10]])
    assert (seed["task"], seed["dataset"]) == ("classification", "mnist-5k")
    assert seed["variables"] == {"width": 1.0, "classes": 10}
    assert seed["description"].startswith("Small CNN for 28×28 digits")
    json.dumps(list(entries.values()))


def test_list_templates_returns_copies():
    first = list_templates()
    first[0]["inputs"][0].append(99)
    first[0]["variables"]["x"] = 1
    assert list_templates()[0]["inputs"][0][-1] != 99
    assert "x" not in list_templates()[0]["variables"]


def test_load_template_returns_a_fresh_graph_each_time():
    graph = load_template("seed-cnn")
    assert isinstance(graph, Graph)
    graph.nodes[1].params["out_channels"] = 8
    graph.variables["classes"] = 3
    again = load_template("seed-cnn")
    assert again.nodes[1].params["out_channels"] == "=round(32*width)"
    assert summarize(again).outputs == [[10]]


def test_unknown_template_names_the_available_ones_with_a_suggestion():
    with pytest.raises(GraphError, match=r"no template 'resnet_18' \(did you mean 'resnet18'\?\)"
                                         r"; the templates are: cnn1d-sequence, .*seed-cnn"):
        load_template("resnet_18")


def test_unknown_template_without_a_close_match_has_no_suggestion():
    with pytest.raises(GraphError, match=r"^no template 'zzz'; the templates are: ") as info:
        load_template("zzz")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("name", ["../seed-cnn", "seed-cnn.json", "", "templates/seed-cnn"])
def test_template_names_are_not_paths(name):
    with pytest.raises(GraphError, match="no template"):
        template_text(name)


def test_seed_cnn_is_the_graph_of_the_format_note(seed_cnn):
    """graph-format.md's example, with canvas positions and the dataset suggestion added."""
    template = json.loads(template_text("seed-cnn"))
    strip = [{k: v for k, v in n.items() if k != "position"} for n in template["nodes"]]
    assert strip == [{k: v for k, v in n.items() if k != "position"} for n in seed_cnn["nodes"]]
    assert template["edges"] == seed_cnn["edges"]
    assert template["variables"] == seed_cnn["variables"]
