"""Exit codes and messages for graph files, as the README states them: 0 success, 1 invalid
input (JSON that is no valid graph included), 2 a file that cannot be read; a byte-order mark
is no problem, a key given twice is one; an Input left out of the model is no input of it."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.graph.templates import template_text


def _write(tmp_path, text: str, name: str = "design.json") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("text,message", [
    ('{"version": 1, "name": "t", "nodes": [], "edges": []}',
     "graph: not a LayerLoom graph (no 'format' key; expected \"format\": \"layerloom-graph\"): "
     "a design has \"format\": \"layerloom-graph\", a version, its name, nodes and edges "
     "(`layerloom new -o design.json` writes one to start from); a model from another tool "
     "comes in with `layerloom import-onnx` (or `import-torch` for PyTorch code)"),
    ('{"format": "layerloom-graph", "version": 1, "name": "t", "edges": []}',
     "graph: missing key 'nodes'"),
    ("[1, 2]", "graph: a graph is a JSON object, got a list"),
])
def test_json_that_is_no_graph_exits_1(tmp_path, capsys, text, message):
    path = _write(tmp_path, text)
    assert main(["validate", path]) == 1
    assert capsys.readouterr().err == f"error: {path}: {message}\n"
    assert main(["summary", path]) == 1
    capsys.readouterr()
    assert main(["export", path, "-f", "json", "-o", str(tmp_path / "out.json")]) == 1
    assert capsys.readouterr().err == f"error: {path}: {message}\n"
    assert main(["train", path, "-d", "iris", "--no-record"]) == 1
    assert capsys.readouterr().err == f"error: {path}: {message}\n"


def test_a_file_that_cannot_be_read_exits_2(tmp_path, capsys):
    assert main(["validate", _write(tmp_path, "{ not json")]) == 2
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert main(["train", str(tmp_path / "missing.json"), "-d", "iris", "--no-record"]) == 2
    err = capsys.readouterr().err
    assert "invalid JSON" in err and "missing.json: no such file" in err


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + template_text("seed-cnn").encode())
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: valid (0 warning(s))\n"


def test_a_key_given_twice_is_an_error_naming_it(tmp_path, capsys):
    text = template_text("seed-cnn").replace('"kernel_size": 3', '"kernel_size": 3, '
                                             '"kernel_size": 5', 1)
    path = _write(tmp_path, text)
    assert main(["validate", path]) == 1
    assert capsys.readouterr().err == (
        f"error: {path}: conv1: nodes[1].params has the key 'kernel_size' twice (3, then 5): "
        f"keep one (JSON readers silently take the last)\n")


def test_an_input_left_out_does_not_stop_the_dataset_check(tmp_path, capsys):
    graph = json.loads(template_text("seed-cnn"))
    graph["nodes"].append({"id": "unused", "type": "Input", "params": {"shape": [3]}})
    path = _write(tmp_path, json.dumps(graph))
    assert main(["validate", path, "--dataset", "mnist-5k"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ("warning: unused: not on a path from an Input to an Output (it leads "
                            "to no Output); it is left out of the model: wire it in, or "
                            "delete it\n")
    assert captured.out.startswith(f"{path}: valid and fits mnist-5k: input [1, 28, 28] float32")


def test_an_input_left_out_does_not_stop_training(tmp_path, capsys):
    graph = {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "spare", "type": "Input", "params": {"shape": [7]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}
    path = _write(tmp_path, json.dumps(graph))
    assert main(["train", path, "-d", "iris", "--epochs", "1", "--no-record",
                 "--home", str(tmp_path / "home")]) == 0
    assert "training feeds" not in capsys.readouterr().err
