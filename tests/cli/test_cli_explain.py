"""``layerloom explain``: a stored run, an input file, the map where the evidence is."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from layerloom.cli import main
from layerloom.runtime import RunStore, explain, train
from layerloom.runtime.data import Dataset

SIZE, PATCH = 16, 5


def patches(n, seed):
    """The class is the half (left/right) holding a bright square."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, SIZE, SIZE), np.float32)
    y = rng.integers(0, 2, n)
    boxes = []
    for i, label in enumerate(y):
        r = rng.integers(0, SIZE - PATCH + 1)
        c = label * SIZE // 2 + rng.integers(0, SIZE // 2 - PATCH + 1)
        x[i, 0, r:r + PATCH, c:c + PATCH] = 1.0
        boxes.append((int(r), int(c)))
    return x, y.astype(np.int64), boxes


GRAPH = {
    "format": "layerloom-graph", "version": 1, "name": "halves",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, SIZE, SIZE]}},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3,
                                                     "padding": 1}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [
        ("image", "conv1"), ("conv1", "relu1"), ("relu1", "pool1"), ("pool1", "flat"),
        ("flat", "fc"), ("fc", "out")]],
}


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    parts = [patches(400, 0)[:2], patches(50, 1)[:2], patches(40, 2)[:2]]
    t = torch.from_numpy
    ds = Dataset("halves", "classification", (1, SIZE, SIZE), "float32", ["left", "right"],
                 None, *(t(a) for part in parts for a in part))
    store = RunStore(home / "runs.db")
    result = train(GRAPH, ds, store=store, epochs=4, lr=0.01, batch_size=32)
    assert result.metrics["test_accuracy"] >= 0.95
    x, y, boxes = patches(1, 7)
    png = home / "sample.png"
    Image.fromarray((x[0, 0] * 255).astype(np.uint8)).save(png)
    return home, result.run_id, png, boxes[0], int(y[0])


def test_explain_json_heatmap_and_overlay(trained_run, tmp_path, capsys):
    home, run_id, png, (r, c), label = trained_run
    heat, over = tmp_path / "map.npy", tmp_path / "over.png"
    code = main(["explain", str(run_id), "--input", str(png), "--home", str(home), "--json",
                 "--heatmap", str(heat), "-o", str(over)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "gradcam" and out["class"] == label
    assert out["label"] == ["left", "right"][label] and 0.5 < out["probability"] <= 1.0
    row, col = out["peak"]
    assert r <= row < r + PATCH and c <= col < c + PATCH
    m = np.load(heat, allow_pickle=False)
    assert m.shape == (SIZE, SIZE) and tuple(np.unravel_index(m.argmax(), m.shape)) == (row, col)
    assert Image.open(over).size == (SIZE, SIZE)


def test_explain_other_class_by_name_and_ig(trained_run, capsys):
    home, run_id, png, _, label = trained_run
    other = ["left", "right"][1 - label]
    assert main(["explain", str(run_id), "--input", str(png), "--home", str(home),
                 "--class", other, "--method", "ig"]) == 0
    text = capsys.readouterr().out
    assert f"class {1 - label} ({other})" in text and "explained by ig" in text
    # the same in Python
    exp = explain(run_id, png, target=other, method="ig", db=home / "runs.db")
    assert exp.target == 1 - label and exp.heatmap.shape == (SIZE, SIZE)


def test_explain_errors_are_named(trained_run, tmp_path, capsys):
    home, run_id, png, _, _ = trained_run
    assert main(["explain", str(run_id), "--input", str(png), "--home", str(home),
                 "--class", "middle"]) == 1
    assert "no class 'middle'; the classes are left, right" in capsys.readouterr().err
    assert main(["explain", str(run_id), "--input", str(tmp_path / "none.png"),
                 "--home", str(home)]) == 2  # a file that cannot be opened
    assert "none.png: no such file" in capsys.readouterr().err
    assert main(["explain", "999", "--input", str(png), "--home", str(home)]) == 1
    assert "999" in capsys.readouterr().err
    taken = tmp_path / "taken.npy"
    taken.write_bytes(b"")
    assert main(["explain", str(run_id), "--input", str(png), "--home", str(home),
                 "--heatmap", str(taken)]) == 1
    assert "exists; add --force" in capsys.readouterr().err


def test_a_table_row_given_to_an_image_model_is_named_as_the_wrong_kind(trained_run, tmp_path,
                                                                       capsys):
    home, run_id, _, _, _ = trained_run
    row = tmp_path / "row.csv"
    row.write_text("a,b\n1,2\n")
    assert main(["explain", str(run_id), "--input", str(row), "--home", str(home)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"error: {row} is a table row, but the model takes an image of "
                           f"[1, {SIZE}, {SIZE}] (a .png, .jpg… file, or a .npy array of that "
                           f"shape)")


def test_a_missing_column_of_a_wide_table_is_said_in_one_short_line():
    from layerloom.runtime.data.preprocessing import encode_row

    wide = Dataset("wide", "classification", (300,), "float32", ["a", "b"], None,
                   *([torch.zeros(1, 300), torch.zeros(1, dtype=torch.long)] * 3))
    with pytest.raises(ValueError) as caught:
        encode_row({"x0": "1"}, wide)
    assert str(caught.value) == ("the row has no column 'x1'; the model reads x0, x1, x2, x3, "
                                 "x4, x5, x6, x7, x8, x9, …, x299 (300 columns)")


def test_the_tokens_that_count_most_are_words_of_the_text_not_its_padding(tmp_path, capsys):
    """A short text is padded to the model's length; the padding's zero attributions used to
    be listed among the words ("<pad> (+0.000)" four times, ahead of words below zero)."""
    home = tmp_path / "home"
    assert main(["train", "lstm-text", "--dataset", "text-sentiment", "--epochs", "1",
                 "--home", str(home), "--cfg", "num_threads=1"]) == 0
    text = tmp_path / "short.txt"
    text.write_text("good great lovely\n")
    capsys.readouterr()
    assert main(["explain", "1", "--input", str(text), "--home", str(home)]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines()
              if x.startswith("tokens that count most: ")]
    words = [part.rsplit(" (", 1)[0] for part in line.removeprefix(
        "tokens that count most: ").split(", ")]
    assert sorted(words) == ["good", "great", "lovely"], line
