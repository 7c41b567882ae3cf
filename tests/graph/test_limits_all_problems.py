"""validate lists every problem at once, including those of nodes behind a shape error: their
params, expressions and references are still checked (only their shapes are not, and a note
says so), so a typo in a later node is not hidden until an earlier error is fixed."""

from __future__ import annotations

import copy

from layerloom.graph import parse_graph, validate

from ..conftest import SEED_CNN  # noqa: TID252


def broken_seed_cnn() -> dict:
    g = copy.deepcopy(SEED_CNN)
    nodes = {n["id"]: n for n in g["nodes"]}
    nodes["conv1"]["params"]["kernel_size"] = 99  # a shape error early on
    nodes["fc"]["params"]["out_features"] = "=clases"  # a typo in a later node
    return g


def test_a_typo_behind_a_shape_error_is_reported_in_the_same_validate():
    report = validate(parse_graph(broken_seed_cnn()))
    found = [(e.node, e.param) for e in report.errors]
    assert found == [("conv1", "kernel_size"), ("fc", "out_features")]
    assert "kernel 99×99 is larger than its 28×28 input" in report.errors[0].message
    assert report.errors[1].message == ("out_features = '=clases': unknown name 'clases' "
                                        "(did you mean 'classes'?); known: classes, width")


def test_the_skipped_shape_checks_are_noted_with_their_cause():
    report = validate(parse_graph(broken_seed_cnn()))
    notes = {p.node: p.message for p in report.infos}
    assert list(notes) == ["relu1", "pool1", "conv2", "relu2", "pool2", "flat", "fc", "probs"]
    assert notes["fc"] == "shape not checked: it depends on conv1, which has an error"
    assert all(p.severity == "info" for p in report.infos)
    assert report.warnings == []
    assert "note: fc: shape not checked: it depends on conv1, which has an error" in str(report)


def test_unknown_params_values_and_in_shape_expressions_behind_a_shape_error():
    g = broken_seed_cnn()
    nodes = {n["id"]: n for n in g["nodes"]}
    nodes["conv2"]["params"]["kernal_size"] = 3
    nodes["conv2"]["params"]["out_channels"] = "=in_shape[0] * widht"
    nodes["pool2"]["params"]["kernel_size"] = 0
    nodes["relu2"]["repeat"] = "=2 ** 1000"
    report = validate(parse_graph(g))
    by_node = {(e.node, e.param): e.message for e in report.errors}
    assert by_node[("conv2", "kernal_size")].startswith(
        "Conv2d has no param 'kernal_size' (did you mean 'kernel_size'?); it takes: ")
    assert by_node[("conv2", "out_channels")] == (
        "out_channels = '=in_shape[0] * widht': unknown name 'widht' "
        "(did you mean 'width'?); known: classes, width, in_shape")
    assert by_node[("pool2", "kernel_size")] == "kernel_size must be at least 1, got 0"
    assert "exponent too large" in by_node[("relu2", "repeat")]
    assert ("fc", "out_features") in by_node


def test_a_valid_in_shape_expression_behind_a_shape_error_is_not_an_error():
    g = copy.deepcopy(SEED_CNN)
    nodes = {n["id"]: n for n in g["nodes"]}
    nodes["conv1"]["params"]["kernel_size"] = 99
    nodes["conv2"]["params"]["out_channels"] = "=in_shape[0] * 2"
    report = validate(parse_graph(g))
    assert [e.node for e in report.errors] == ["conv1"]


def test_composite_params_behind_a_shape_error():
    g = copy.deepcopy(SEED_CNN)
    g["nodes"][1]["params"]["kernel_size"] = 99
    g["blocks"] = {"Pair": {"params": {"ch": 8}, "nodes": [
        {"id": "i", "type": "Input"},
        {"id": "c", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 1}},
        {"id": "o", "type": "Output"}],
        "edges": [{"source": "i", "target": "c"}, {"source": "c", "target": "o"}]}}
    g["nodes"][4] = {"id": "conv2", "type": "Pair", "params": {"ch": "=withd", "chx": 1}}
    report = validate(parse_graph(g))
    by_node = {(e.node, e.param): e.message for e in report.errors}
    assert by_node[("conv2", "chx")] == "block 'Pair' has no param 'chx' (it takes: ch)"
    assert by_node[("conv2", "ch")].startswith("ch = '=withd': unknown name 'withd'")
