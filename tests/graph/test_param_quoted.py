"""A design file written by a script that quotes every value ("32" for 32, "true" for true) is
refused naming the node and param, and now says the value is text in quotes and how to write it:
'out_features expected a whole number, got '32'' left the reader looking at a whole number."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.graph import GraphError, parse_graph, validate


def design(shape, linear: dict, p) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "t",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": shape}},
                      {"id": "fc", "type": "Linear", "params": linear},
                      {"id": "drop", "type": "Dropout", "params": {"p": p}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "drop"},
                      {"source": "drop", "target": "y"}]}


def errors(graph: dict) -> dict[str, str]:
    return {f"{e.node}.{e.param}": e.message for e in validate(parse_graph(graph)).errors}


def test_numbers_and_booleans_in_quotes_say_how_to_write_them():
    said = errors(design([4], {"out_features": "32", "bias": "True"}, " 0.25 "))
    assert said == {
        "fc.out_features": "out_features expected a whole number, got '32' (text, in quotes): "
                           "write 32 without quotes",
        "fc.bias": "bias expected true or false, got 'True' (text, in quotes): write true "
                   "without quotes",
        "drop.p": "p expected a number, got ' 0.25 ' (text, in quotes): write 0.25 without "
                  "quotes"}


def test_a_shape_of_quoted_sizes_says_so():
    said = errors(design(["1", "28", "28"], {"out_features": 3}, 0.1))
    assert said["x.shape"] == ("shape expected a whole number, got '1' (text, in quotes): "
                               "write 1 without quotes")


def test_text_that_is_no_such_value_is_said_as_before():
    said = errors(design([4], {"out_features": "ten", "bias": "yes"}, "3.5.1"))
    assert said == {"fc.out_features": "out_features expected a whole number, got 'ten'",
                    "fc.bias": "bias expected true or false, got 'yes'",
                    "drop.p": "p expected a number, got '3.5.1'"}
    assert errors(design([4], {"out_features": "2.5"}, 0.1))["fc.out_features"] == \
        "out_features expected a whole number, got '2.5'"


def test_the_cli_says_it(tmp_path, capsys):
    path = tmp_path / "scripted.json"
    path.write_text(json.dumps(design([4], {"out_features": "32"}, 0.1)), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert ("error: fc.out_features: out_features expected a whole number, got '32' (text, in "
            "quotes): write 32 without quotes") in capsys.readouterr().err


def test_a_variable_and_a_composite_blocks_param_in_quotes_say_it_too():
    graph = design([4], {"out_features": "=width"}, 0.1)
    graph["variables"] = {"width": "16"}
    with pytest.raises(GraphError, match=r"^graph\.width: variable 'width' is text '16' \(text, "
                                         r"in quotes\): write 16 without quotes; an expression "
                                         r"starts with '='$"):
        parse_graph(graph)
    graph = design([4], {"out_features": 3}, 0.1)
    graph["blocks"] = {"Dense": {"params": {"units": "8"},
                                 "nodes": [{"id": "i", "type": "Input"},
                                           {"id": "l", "type": "Linear",
                                            "params": {"out_features": "=units"}},
                                           {"id": "o", "type": "Output"}],
                                 "edges": [{"source": "i", "target": "l"},
                                           {"source": "l", "target": "o"}]}}
    graph["nodes"][1] = {"id": "fc", "type": "Dense", "params": {"units": "32"}}
    said = {f"{e.node}.{e.param}": e.message for e in validate(graph).errors}
    assert said == {
        "None.units": "block 'Dense': param 'units' default must be a number or an "
                      "\"=expression\", got '8' (text, in quotes): write 8 without quotes",
        "fc.units": "block 'Dense' param 'units' must be a number or an \"=expression\", got "
                    "'32' (text, in quotes): write 32 without quotes"}
