"""The CLI reads an .npz of 8-bit images [N, 28, 28] (MNIST's rows) as the design given takes
it: validate --dataset and train with a design of Input [28, 28] (an LSTM on the rows) fit and
train on [N, 28, 28], not told to set the Input to [1, 28, 28]; a CNN of Input [1, 28, 28]
still gets the channel axis."""

from __future__ import annotations

import json

import numpy as np
import pytest

from layerloom.cli import main


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = np.zeros((40, 28, 28), np.uint8)
    y = np.arange(40) % 2
    for i, label in enumerate(y):
        (x[i, :, 4 + i % 20] if label else x[i, 4 + i % 20, :]).fill(255)
    np.savez(tmp_path / "mnist.npz", x=x, y=y)
    design = {"format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [28, 28]}},
        {"id": "rows", "type": "LSTM", "params": {"hidden_size": 8}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]}
    (tmp_path / "rows.json").write_text(json.dumps(design), encoding="utf-8")
    return tmp_path


def test_validate_reads_the_rows_for_a_design_of_rows(files, capsys):
    assert main(["validate", "rows.json", "--dataset", "mnist.npz"]) == 0
    out, err = capsys.readouterr()
    assert "valid and fits mnist.npz: input [28, 28] float32" in out, (out, err)
    assert "[1, 28, 28]" not in err


def test_train_reads_the_rows_for_a_design_of_rows(files, capsys):
    code = main(["train", "rows.json", "--dataset", "mnist.npz", "--epochs", "1",
                 "--batch-size", "8", "--home", str(files / "home")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "[1, 28, 28]" not in err
