"""A node's ``trainable`` is a JSON boolean; anything else is an error naming the node and the
key (a string "false" must not leave the node silently trainable)."""

import json

import pytest

from layerloom.cli import main
from layerloom.graph import validate


def _graph(trainable=..., *, in_block=False):
    fc = {"id": "fc", "type": "Linear", "params": {"out_features": 3}}
    if trainable is not ...:
        fc["trainable"] = trainable
    if not in_block:
        return {"format": "layerloom-graph", "version": 1, "name": "t",
                "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}}, fc,
                          {"id": "y", "type": "Output"}],
                "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}
    block = {"nodes": [{"id": "i", "type": "Input"}, fc, {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "fc"}, {"source": "fc", "target": "o"}]}
    return {"format": "layerloom-graph", "version": 1, "name": "t", "blocks": {"Head": block},
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                      {"id": "head", "type": "Head"}, {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "head"}, {"source": "head", "target": "y"}]}


@pytest.mark.parametrize("value, got", [
    ("false", "got the string 'false'"),
    ("true", "got the string 'true'"),
    (0, "got the number 0"),
    (1, "got the number 1"),
    (None, "got null"),
    ([False], "got a list"),
    ({"value": False}, "got an object"),
])
def test_validate_trainable_must_be_a_boolean(value, got):
    report = validate(_graph(value))
    assert not report.ok
    [problem] = report.errors
    assert (problem.node, problem.param) == ("fc", "trainable")
    assert str(problem).startswith("fc.trainable: 'trainable' must be true or false")
    assert got in problem.message


@pytest.mark.parametrize("value", [True, False, ...])
def test_validate_trainable_booleans_and_absence_are_valid(value):
    report = validate(_graph(value))
    assert report.ok, str(report)


def test_validate_trainable_inside_a_block_names_block_and_node():
    report = validate(_graph("no", in_block=True))
    assert [str(p) for p in report.errors] == [
        "graph: block 'Head', node 'fc': 'trainable' must be true or false (a JSON boolean), "
        "got the string 'no'; write false to freeze the node, or leave the key out"]
    assert validate(_graph(False, in_block=True)).ok


def test_validate_trainable_cli_exits_1_naming_node_and_key(tmp_path, capsys):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(_graph("false")))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "fc.trainable" in err and "got the string 'false'" in err


def test_validate_trainable_string_is_refused_by_the_compiler():
    from layerloom.graph import GraphError, compile_graph

    with pytest.raises(GraphError, match=r"fc\.trainable: 'trainable' must be true or false"):
        compile_graph(validate(_graph(0)).resolution.graph)
