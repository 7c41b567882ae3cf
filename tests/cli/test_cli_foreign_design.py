"""A design file from another tool, given where a LayerLoom design goes: each is one ``error:``
line saying what the file is and what to do, with the README's exit codes (1 for JSON that is
no design, 2 for a file that is no JSON). A Keras model's JSON was "not a LayerLoom graph (no
'format' key ...)", as if adding the key would do; a YAML file or Python code was "line 1,
column 1: invalid JSON: Expecting value", which says neither."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main

KERAS = {"class_name": "Sequential", "keras_version": "2.13.1", "backend": "tensorflow",
         "config": {"name": "sequential", "layers": [{"class_name": "Dense",
                                                      "config": {"units": 10}}]}}
MAKE_ONE = ("a design is a JSON object (`layerloom new -o design.json` writes one to start "
            "from); a model from another tool comes in with `layerloom import-onnx` (or "
            "`import-torch` for PyTorch code)")


@pytest.mark.parametrize("name, text, code, message", [
    ("model.json", json.dumps(KERAS), 1,
     "graph: not a LayerLoom graph (no 'format' key; expected \"format\": \"layerloom-graph\"): "
     "this is a Keras model's JSON (model.to_json()): export the model to ONNX (tf2onnx) and "
     "use `layerloom import-onnx`"),
    ("model.json", json.dumps({"format": "layers-model", "modelTopology": {}}), 1,
     "graph: not a LayerLoom graph (format 'layers-model'; expected \"format\": "
     "\"layerloom-graph\"): this is a TensorFlow.js model.json: convert the model to ONNX "
     "(tf2onnx) and use `layerloom import-onnx`"),
    ("net.py", "import torch\n\nclass Net(torch.nn.Module):\n    pass\n", 2,
     "this is Python code, not a graph file (JSON text): for a PyTorch model in it use "
     "`layerloom import-torch net.py:ClassName`, which writes its design"),
    ("net.yaml", "name: net\nlayers:\n  - conv\n", 2,
     f"this is YAML or another tool's settings, not a graph file (JSON text): {MAKE_ONE}"),
    ("net.prototxt", 'layer {\n  name: "conv1"\n}\n', 2,
     f"this is another tool's model description, not a graph file (JSON text): {MAKE_ONE}"),
])
def test_another_tools_file_is_named_with_what_to_do(tmp_path, capsys, name, text, code,
                                                     message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for command in (["validate", str(path)], ["summary", str(path)],
                    ["train", str(path), "-d", "iris", "--no-record"]):
        assert main(command) == code
        assert capsys.readouterr().err == f"error: {path}: {message}\n"


def test_json_broken_further_in_still_names_its_line_and_column(tmp_path, capsys):
    path = tmp_path / "design.json"
    path.write_text('{"format": "layerloom-graph",\n "name": "x",,}', encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == (f"error: {path}: line 2, column 14: invalid JSON: "
                                       f"Expecting property name enclosed in double quotes\n")
