"""Linear layers stacked with no activation between them (graph/stacked_linear.py): a Keras
user writes Conv2D(..., activation='relu') and expects the same of a Conv2d block; here the
activation is a block of its own, and a design without it is one linear map. A warning (the
design stays valid) on the second block names both and where the activation goes."""

from __future__ import annotations

from layerloom.graph import validate
from layerloom.graph.templates import load_template


def design(*chain: tuple, repeat: dict | None = None) -> dict:
    nodes = [{"id": i, "type": t, "params": p} for i, t, p in chain]
    for node in nodes:
        if repeat and node["id"] in repeat:
            node["repeat"] = repeat[node["id"]]
    return {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": nodes,
            "edges": [{"source": a[0], "target": b[0]} for a, b in zip(chain, chain[1:])]}


def stacked(graph: dict) -> list[str]:
    report = validate(graph)
    assert report.ok, report
    return [str(p) for p in report.warnings if "linear map" in p.message]


def test_linear_after_linear_is_said_on_the_second_naming_both_and_the_keras_way():
    graph = design(("x", "Input", {"shape": [4]}), ("fc1", "Linear", {"out_features": 16}),
                   ("fc2", "Linear", {"out_features": 3}), ("y", "Output", {}))
    assert stacked(graph) == [
        "fc2: fc1 (Linear) → fc2 (Linear) with no activation between: together they are one "
        "linear map, so fc2 adds weights but nothing the model could not do without it. Add a "
        "ReLU (or another activation) block between fc1 and fc2; an activation is a block of "
        "its own here: Keras' Dense(…, activation='relu') is Linear → ReLU."]


def test_conv_after_conv_and_conv_through_flatten_and_dropout_into_linear():
    graph = design(("x", "Input", {"shape": [1, 8, 8]}),
                   ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
                   ("conv2", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
                   ("flat", "Flatten", {}), ("drop", "Dropout", {}),
                   ("fc", "Linear", {"out_features": 2}), ("y", "Output", {}))
    lines = stacked(graph)
    assert [line.split(":")[0] for line in lines] == ["conv2", "fc"]
    assert "conv1 (Conv2d) → conv2 (Conv2d) with no activation between:" in lines[0]
    assert "Keras' Conv2D(…, activation='relu') is Conv2d → ReLU" in lines[0]
    assert "conv2 (Conv2d) → fc (Linear) with no activation between (through flat, drop)" \
        in lines[1]


def test_an_activation_or_pooling_between_says_nothing_nor_do_the_templates():
    graph = design(("x", "Input", {"shape": [4]}), ("fc1", "Linear", {"out_features": 16}),
                   ("act", "GELU", {}), ("fc2", "Linear", {"out_features": 3}),
                   ("y", "Output", {}))
    assert stacked(graph) == []
    for name in ("seed-cnn", "transformer-text", "resnet-mini", "mlp-tabular"):
        assert stacked(load_template(name).to_dict()) == [], name


def test_a_repeated_linear_is_its_copies_stacked_and_a_skipped_one_is_nothing():
    graph = design(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 4}),
                   ("y", "Output", {}), repeat={"fc": 3})
    (line,) = stacked(graph)
    assert line.startswith("fc: its 3 copies follow one another with no activation between")
    assert "repeat a composite block of Linear → ReLU instead" in line
    graph = design(("x", "Input", {"shape": [4]}), ("fc1", "Linear", {"out_features": 4}),
                   ("fc2", "Linear", {"out_features": 4}), ("y", "Output", {}),
                   repeat={"fc1": 0})
    assert stacked(graph) == []


def test_a_design_with_errors_gets_them_said_not_this():
    """conv1 with a kernel larger than its input: its error (and the notes behind it) are
    what validate says; the layers it leaves unchecked are not judged."""
    graph = design(("x", "Input", {"shape": [1, 8, 8]}),
                   ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 99}),
                   ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 2}),
                   ("y", "Output", {}))
    report = validate(graph)
    assert report.errors and not [p for p in report.warnings if "linear map" in p.message]
