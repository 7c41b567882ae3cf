"""NaN and Infinity, which Python's JSON reader takes but no JSON tool writes or reads (the
canvas's browser among them), are read from a design file as the text written, which validation
names (a param, a variable); a node's position must be finite numbers. A whole-number param of a
float beyond 2**53 (1e300) is no exact count: refused as not whole, where it was taken as a
301-digit size and said as a model of 10^300 GiB."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError, loads_graph, parse_graph, validate

DESIGN = {"format": "layerloom-graph", "version": 1, "name": "t",
          "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                    {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                    {"id": "y", "type": "Output"}],
          "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}


def text(**changes) -> str:
    written = json.dumps(DESIGN)
    for old, new in changes.values():
        written = written.replace(old, new, 1)
    return written


@pytest.mark.parametrize("position", ["[NaN, 0]", "[0, Infinity]", "[-Infinity, 1]"])
def test_a_position_that_is_not_finite_is_refused(position):
    with pytest.raises(GraphError, match=r"^mine\.json: fc: nodes\[1\] \(fc\): 'position' must "
                                         r"be \[x, y\], got \["):
        loads_graph(text(p=('"id": "fc",', f'"id": "fc", "position": {position},')),
                    filename="mine.json")


def test_a_variable_that_is_not_finite_is_refused_naming_it():
    written = text(v=('"name": "t",', '"name": "t", "variables": {"w": NaN, "h": 2},'))
    with pytest.raises(GraphError) as info:
        loads_graph(written, filename="mine.json")  # NaN kept as the text written
    assert str(info.value) == ("mine.json: graph.w: variable 'w' is text 'NaN'; an expression "
                               "starts with '='")
    with pytest.raises(GraphError, match=r"^graph\.w: variable 'w' must be a finite number, "
                                         r"got the number inf$"):
        parse_graph({**DESIGN, "variables": {"w": float("inf")}})


def test_nan_and_infinity_in_a_file_are_kept_as_text_that_validation_names():
    graph = loads_graph(text(p=('"out_features": 3', '"out_features": Infinity, "bias": NaN')))
    assert graph.nodes[1].params == {"out_features": "Infinity", "bias": "NaN"}
    assert [str(e) for e in validate(graph).errors] == [
        "fc.out_features: out_features expected a whole number, got 'Infinity'",
        "fc.bias: bias expected true or false, got 'NaN'"]


@pytest.mark.parametrize("value", [1e300, -1e20, 2.0**60])
def test_a_whole_number_param_beyond_exact_floats_is_not_whole(value):
    graph = json.loads(json.dumps(DESIGN))
    graph["nodes"][1]["params"]["out_features"] = value
    [error] = validate(parse_graph(graph)).errors
    assert str(error) == f"fc.out_features: out_features expected a whole number, got {value}"


def test_a_whole_float_that_is_exact_is_still_read():
    graph = json.loads(json.dumps(DESIGN))
    graph["nodes"][1]["params"]["out_features"] = 3.0
    assert validate(parse_graph(graph)).ok
