"""The bundle of a trained run: its files, its card, its curves, and predict.py on real files."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from layerloom.graph import compile_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.templates import load_template

PREDICT = """
import json, runpy, sys
predict = runpy.run_path("predict.py")
for backend in ("torchscript", "python", "onnx"):
    predict["main"]([sys.argv[1], "--backend", backend, "--top", "3"])
assert not any(m.startswith("layerloom") for m in sys.modules), "layerloom was imported"
"""


def _trained(graph, seed=0):
    torch.manual_seed(seed)
    return compile_graph(graph).state_dict()


def _softmax(logits):
    return torch.softmax(logits.double(), dim=-1)[0]


def _predict(isolated, folder, input_name):
    done = isolated(PREDICT, folder, input_name)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def _unzip(path, folder):
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)


@pytest.fixture(scope="module")
def image_bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("image")
    graph = load_template("seed-cnn")
    run = RunInfo(
        config={"epochs": 2, "optimizer": "adam", "lr": 0.001},
        metrics={"test_loss": 0.3127, "test_accuracy": 0.9084},
        curves={"train/loss": [0.9, 0.41], "val/loss": [(1, 0.7), (2, 0.39)],
                "val/accuracy": [0.81, 0.9]},
        dataset={"name": "mnist-5k", "task": "classification",
                 "classes": [f"digit {i}" for i in range(10)],
                 "normalization": {"kind": "channel", "mean": [0.13], "std": [0.31],
                                   "scale": 255.0},
                 "splits": {"train": {"size": 3500}, "val": {"size": 500},
                            "test": {"size": 1000}}},
        state_dict=_trained(graph), run_id=42, name="seed-cnn on mnist")
    result = export_model(graph, "bundle", folder / "seed-cnn.zip", run=run)
    _unzip(result.path, folder / "unzipped")
    return graph, run, result, folder / "unzipped"


def test_bundle_holds_every_part(image_bundle):
    _, run, result, folder = image_bundle
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "curves.html", "graph.json", "manifest.json",
        "metrics.json", "model.onnx", "model.py", "model.torchscript.pt", "predict.py",
        "weights.safetensors"]
    assert json.loads((folder / "config.json").read_text()) == run.config
    assert json.loads((folder / "metrics.json").read_text()) == run.metrics
    assert set(result.notes["parts"]) == {"graph.json", "weights.safetensors", "model.py",
                                          "model.torchscript.pt", "model.onnx"}
    assert max(result.notes["parts"].values()) == result.max_abs_diff < 1e-4
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["class"] == "SeedCnn" and manifest["run_id"] == 42
    assert manifest["preprocessing"]["kind"] == "image"


def test_model_card_says_what_the_model_is_and_how_to_load_it(image_bundle):
    card = (image_bundle[3] / "README.md").read_text()
    for section in ("# seed-cnn", "## What the model is", "## Layers", "## Training data",
                    "## Test metrics", "## How to load it", "## Files"):
        assert section in card
    assert "from run 42 (seed-cnn on mnist)" in card
    assert "| `conv2` | Conv2d | [64, 11, 11] | 18,496 | 2,230,272 |" in card
    assert "| **total** | | | **34,826** | **2,440,960** |" in card
    # the Output is called probs (the design note's name) and holds logits: the card says which
    assert ("- Output `probs`: shape `[batch, 10]`; logits: a score per class before softmax, "
            "not probabilities") in card
    assert "- Dataset: mnist-5k" in card and "train 3,500, val 500, test 1,000" in card
    assert "| test_accuracy | 0.9084 |" in card
    assert re.search(r"```python\nimport torch\nmodel = torch.jit.load\(\"model.torchscript.pt"
                     r"\"\).eval\(\)\noutputs = model\(torch.randn\(1, 1, 28, 28\)\)\n```", card)
    assert "[curves.html](curves.html)" in card


def test_curves_are_a_self_contained_plotly_page(image_bundle):
    html = (image_bundle[3] / "curves.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=", html)  # nothing loaded from the network
    assert "plotly.js" in html.lower()
    assert len(html) > 1_000_000  # plotly.js inlined
    for trace in ('"name":"train"', '"name":"val"'):
        assert trace in html.replace(" ", "")
    assert "Training curves of run 42" in html


def test_predict_reads_an_image_as_the_model_was_trained(image_bundle, isolated):
    graph, run, _, folder = image_bundle
    pixels = (np.arange(20 * 24).reshape(20, 24) % 255).astype(np.uint8)
    Image.fromarray(pixels).convert("RGB").save(folder / "digit.png")
    image = Image.open(folder / "digit.png").convert("L").resize((28, 28),
                                                                 Image.Resampling.BILINEAR)
    x = (np.asarray(image, dtype=np.float64) / 255.0 - 0.13) / 0.31
    model = compile_graph(graph).eval()
    model.load_state_dict(run.state_dict)
    with torch.no_grad():
        probs = _softmax(model(torch.tensor(x, dtype=torch.float32)[None, None]))
    best = int(probs.argmax())
    for out in _predict(isolated, folder, "digit.png"):
        assert out["prediction"] == f"digit {best}"
        assert len(out["probabilities"]) == 3
        assert out["probabilities"][f"digit {best}"] == pytest.approx(float(probs[best]),
                                                                      abs=1e-5)


def test_predict_says_a_missing_file_in_one_line(image_bundle, isolated):
    folder = image_bundle[3]
    done = isolated('import runpy, sys\nsys.argv = ["predict.py", sys.argv[1]]\n'
                    'runpy.run_path("predict.py", run_name="__main__")', folder, "nowhere.png")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "predict.py: error: no such file nowhere.png"
    assert "Traceback" not in done.stderr


def test_predict_tokenises_a_text_with_the_training_vocabulary(tmp_path, isolated):
    graph = load_template("transformer-text")
    graph.variables.update(d_model=16, heads=2, layers=1, vocab=50)  # small: quick to export
    vocab = ["<pad>", "<unk>", "great", "film", "boring", "plot"]
    run = RunInfo(dataset={"name": "reviews.csv", "task": "classification",
                           "classes": ["negative", "positive"], "vocab": vocab},
                  state_dict=_trained(graph, 1))
    result = export_model(graph, "bundle", tmp_path / "text.zip", run=run)
    _unzip(result.path, tmp_path)
    (tmp_path / "review.txt").write_text("A GREAT film, with a boring-plot!")
    ids = [1, 2, 3, 1, 1, 4, 5] + [0] * 25  # 'a' and 'with' are unknown; padded to 32
    model = compile_graph(graph).eval()
    model.load_state_dict(run.state_dict)
    with torch.no_grad():
        probs = _softmax(model(torch.tensor([ids])))
    for out in _predict(isolated, tmp_path, "review.txt"):
        assert out["prediction"] == ["negative", "positive"][int(probs.argmax())]
        assert out["probabilities"]["positive"] == pytest.approx(float(probs[1]), abs=1e-5)


def test_predict_encodes_a_csv_row_by_its_columns(tmp_path, isolated):
    graph = load_template("mlp-tabular")
    graph.variables["features"] = 5  # two numeric columns and a one-hot colour
    columns = [{"name": "age", "kind": "numeric"}, {"name": "height", "kind": "numeric"},
               {"name": "colour", "kind": "categorical", "categories": ["blue", "green", "red"]}]
    norm = {"kind": "feature", "mean": [40.0, 170.0, 0.0, 0.0, 0.0],
            "std": [10.0, 5.0, 1.0, 1.0, 1.0]}
    run = RunInfo(dataset={"name": "people.csv", "task": "classification",
                           "classes": ["a", "b", "c"], "normalization": norm,
                           "meta": {"columns": columns}},
                  state_dict=_trained(graph, 2))
    result = export_model(graph, "bundle", tmp_path / "tab.zip", run=run)
    _unzip(result.path, tmp_path)
    (tmp_path / "row.csv").write_text("colour,height,age,label\nred,180,35,b\n")
    x = torch.tensor([[(35 - 40) / 10, (180 - 170) / 5, 0.0, 0.0, 1.0]])
    model = compile_graph(graph).eval()
    model.load_state_dict(run.state_dict)
    with torch.no_grad():
        probs = _softmax(model(x))
    for out in _predict(isolated, tmp_path, "row.csv"):
        assert out["prediction"] == "abc"[int(probs.argmax())]
        assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert out["probabilities"]["a"] == pytest.approx(float(probs[0]), abs=1e-5)


@pytest.mark.parametrize("manifest, says", [
    ({"task": "classification"}, "logits: a score per class before softmax"),
    ({"task": "classification", "output_is_probs": True}, "class probabilities"),
    ({"task": "classification", "output_is_log_probs": True}, "log-probabilities"),
    ({"task": "regression"}, ""),
])
def test_the_card_says_what_a_classifier_output_holds(manifest, says):
    from layerloom.graph.export.card import _holds

    assert _holds(manifest).startswith(says) if says else _holds(manifest) == ""


def test_predict_gives_a_regressions_value_as_a_number_named_by_its_target(tmp_path, isolated):
    """One value predicted for a row: the number and the column it predicts (it printed
    "prediction": [1022.17], a list, with nothing naming spend)."""
    graph = load_template("mlp-tabular")
    graph.variables.update(features=2, classes=1)
    graph.extra["task"] = "regression"
    columns = [{"name": "age", "kind": "numeric"}, {"name": "visits", "kind": "numeric"}]
    run = RunInfo(dataset={"name": "shop.csv", "task": "regression",
                           "normalization": {"kind": "feature", "mean": [40.0, 3.0],
                                             "std": [10.0, 1.0]},
                           "meta": {"columns": columns, "target": "spend"}},
                  state_dict=_trained(graph, 3))
    result = export_model(graph, "bundle", tmp_path / "reg.zip", run=run)
    _unzip(result.path, tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["target"] == "spend"
    (tmp_path / "row.csv").write_text("visits,age\n4,35\n")
    model = compile_graph(graph).eval()
    model.load_state_dict(run.state_dict)
    with torch.no_grad():
        want = float(model(torch.tensor([[(35 - 40) / 10, (4 - 3) / 1.0]]))[0, 0])
    for out in _predict(isolated, tmp_path, "row.csv"):
        assert out["target"] == "spend"
        assert isinstance(out["prediction"], float)
        assert out["prediction"] == pytest.approx(want, abs=1e-5)
