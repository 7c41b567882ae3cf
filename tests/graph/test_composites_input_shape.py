"""A composite block's Input takes the shape (and dtype) of what feeds it: one written anyway is
accepted when it agrees, and is an error naming the block and the node when it does not, as a
disagreeing ``in_channels`` is."""

from __future__ import annotations

from layerloom.graph import parse_graph, validate


def _graph(input_params: dict) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "t",
            "blocks": {"A": {"params": {"c": 5}, "nodes": [
                {"id": "x", "type": "Input", "params": input_params},
                {"id": "m", "type": "ReLU"}, {"id": "y0", "type": "Output"}],
                "edges": [{"source": "x", "target": "m"}, {"source": "m", "target": "y0"}]}},
            "nodes": [{"id": "img", "type": "Input", "params": {"shape": [3, 5, 5]}},
                      {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8,
                                                               "kernel_size": 3}},
                      {"id": "blk", "type": "A"}, {"id": "out", "type": "Output"}],
            "edges": [{"source": "img", "target": "c1"}, {"source": "c1", "target": "blk"},
                      {"source": "blk", "target": "out"}]}


def test_a_contradicting_shape_is_an_error_naming_block_and_node():
    report = validate(parse_graph(_graph({"shape": [3, 5, 5]})))
    assert [str(p) for p in report.errors] == [
        "blk/x.shape: block 'A', Input 'x' has shape [3, 5, 5], but it receives [8, 3, 3] here; "
        "leave shape out (a block's Input takes the shape of what feeds it)"]
    assert report.errors[0].param == "shape"


def test_an_agreeing_shape_is_accepted_expressions_included():
    assert validate(parse_graph(_graph({"shape": [8, 3, 3]}))).ok
    assert validate(parse_graph(_graph({"shape": [8, 3, "=c - 2"]}))).ok


def test_a_contradicting_dtype_is_an_error():
    report = validate(parse_graph(_graph({"dtype": "int64"})))
    assert [str(p) for p in report.errors] == [
        "blk/x.dtype: block 'A', Input 'x' has dtype int64, but it receives float32 here; "
        "leave dtype out (a block's Input takes the dtype of what feeds it)"]


def test_a_malformed_shape_is_an_error():
    report = validate(parse_graph(_graph({"shape": [8, 0, 3]})))
    assert [str(p) for p in report.errors] == [
        "blk/x.shape: shape sizes must be at least 1, got [8, 0, 3]"]
