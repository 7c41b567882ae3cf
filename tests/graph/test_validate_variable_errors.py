"""A variable whose own expression is broken gets one error, where it is defined: the params
and variables that use it are not checked (a note says why), and the other variables are never
called unknown."""

from __future__ import annotations

from layerloom.graph import parse_graph, validate


def _report(graph):
    report = validate(parse_graph(graph))
    return [str(p) for p in report.errors], [str(p) for p in report.infos]


def test_a_broken_variable_is_one_error_and_its_users_are_noted(seed_cnn):
    seed_cnn["variables"]["classes"] = "=10 *"
    errors, notes = _report(seed_cnn)
    assert errors == ["graph.classes: variable 'classes' = '=10 *': cannot parse '=10 *': "
                      "invalid syntax"]
    assert notes == ["fc: out_features not checked: it uses variable 'classes', which has an "
                     "error",
                     "probs: shape not checked: it depends on variable 'classes', which has an "
                     "error"]


def test_a_variable_built_on_a_broken_one_is_not_called_unknown(seed_cnn):
    seed_cnn["variables"] = {"width": "=1 +", "wide": "=width * 2", "classes": 10}
    seed_cnn["nodes"][4]["params"]["out_channels"] = "=round(64*wide)"
    errors, _ = _report(seed_cnn)
    assert errors == ["graph.width: variable 'width' = '=1 +': cannot parse '=1 +': invalid "
                      "syntax"]


def test_a_param_using_in_shape_and_a_broken_variable_is_noted_not_unknown(seed_cnn):
    seed_cnn["variables"]["width"] = "=2 **"
    seed_cnn["nodes"][1]["params"]["out_channels"] = "=in_shape[0] * 32 * width"
    errors, notes = _report(seed_cnn)
    assert errors == ["graph.width: variable 'width' = '=2 **': cannot parse '=2 **': invalid "
                      "syntax"]
    assert notes[0] == ("conv1: out_channels not checked: it uses variable 'width', which has "
                        "an error")


def test_a_block_param_of_the_same_name_is_not_the_broken_variable():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "variables": {"ch": "=4 *"},
         "blocks": {"B": {"params": {"ch": 3}, "nodes": [
             {"id": "i", "type": "Input"},
             {"id": "fc", "type": "Linear", "params": {"out_features": "=ch"}},
             {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "fc"}, {"source": "fc", "target": "o"}]}},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [5]}},
                   {"id": "b", "type": "B"}, {"id": "y", "type": "Output"}],
         "edges": [{"source": "x", "target": "b"}, {"source": "b", "target": "y"}]}
    report = validate(parse_graph(g))
    assert [str(p) for p in report.errors] == [
        "graph.ch: variable 'ch' = '=4 *': cannot parse '=4 *': invalid syntax"]
    assert report.resolution.top.nodes["b"].shape == (3,)
