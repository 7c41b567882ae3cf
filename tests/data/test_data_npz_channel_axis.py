"""8-bit images saved without a channel axis ([N, H, W] uint8, as MNIST ships them) are
grayscale images: read as [N, 1, H, W], said in a note, they fit and train the CNN of the graph
format's example (Input [1, 28, 28]). The option channel_axis adds the axis to floats too, or
keeps [N, H, W] for a design that reads the rows as a sequence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layerloom.graph import load_graph
from layerloom.graph.templates import load_template
from layerloom.runtime import TrainConfig, load_dataset, train
from layerloom.runtime.data import DataError, check_input
from layerloom.runtime.data.fit import check_fit


def strokes(n: int = 60, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [n, size, size]: class 0 a bright row, class 1 a bright column."""
    x = np.zeros((n, size, size), np.uint8)
    y = np.arange(n) % 2
    for i, label in enumerate(y):
        where = 4 + i % (size - 8)
        if label:
            x[i, :, where] = 255
        else:
            x[i, where, :] = 255
    return x, y


@pytest.fixture
def mnist_like(tmp_path):
    path = tmp_path / "mnist.npz"
    x, y = strokes()
    np.savez(path, x=x, y=y)
    return path


def test_8_bit_images_without_a_channel_axis_gain_one_and_say_so(mnist_like):
    ds = load_dataset(mnist_like, seed=0, val_fraction=0, test_fraction=0)
    assert ds.input_shape == (1, 28, 28)
    assert ds.x_train.shape == (60, 1, 28, 28)
    assert ds.meta["notes"] == [
        "x [60, 28, 28] is read as grayscale images [N, H, W] and given a channel axis: "
        "[N, 1, H, W] [60, 1, 28, 28], as an image Input of one channel takes them (to keep "
        "[N, H, W], load the file with channel_axis=none)",
        "x holds 8-bit images: scaled to [0, 1] (x / 255) as image files are"]
    # one channel, one mean and one deviation (not one per row of pixels)
    assert len(ds.normalization["mean"]) == 1 and len(ds.normalization["std"]) == 1
    shown, _ = ds.preview(60)  # the normalisation undone: the pixels in [0, 1]
    x, _ = strokes()
    assert torch.allclose(shown.sum(), torch.tensor(float(x.sum()) / 255), rtol=1e-4)


def test_they_fit_and_train_the_graph_formats_cnn(mnist_like):
    ds = load_dataset(mnist_like, seed=0)
    graph = load_template("seed-cnn")  # Input [1, 28, 28], Conv2d after it
    fit = check_fit(graph, ds, {"classes": 2, "width": 0.25})
    assert fit.ok, [str(p) for p in fit.problems]
    check_input(ds, [1, 28, 28])
    result = train(graph, ds, TrainConfig(epochs=1, batch_size=16, seed=0, num_threads=1,
                                          log_every=1000),
                   variables={"classes": 2, "width": 0.25})
    assert result.status == "completed"
    assert np.isfinite(result.metrics["test_loss"]), result.metrics


def test_channel_axis_none_keeps_the_rows_and_add_gives_floats_one(mnist_like, tmp_path):
    kept = load_dataset(mnist_like, channel_axis="none")
    assert kept.input_shape == (28, 28)
    assert not any("channel axis" in note for note in kept.meta.get("notes", []))
    floats = tmp_path / "floats.npz"
    x, y = strokes()
    np.savez(floats, x=x.astype(np.float32) / 255, y=y)
    assert load_dataset(floats).input_shape == (28, 28)  # may be sequences [N, L, D]
    assert load_dataset(floats, channel_axis="add").input_shape == (1, 28, 28)
    with pytest.raises(DataError, match=r"option 'channel_axis' must be one of 'auto', "
                                        r"'add', 'none', got 'yes'"):
        load_dataset(floats, channel_axis="yes")


def test_a_design_that_reads_the_rows_is_told_how_to_keep_them(mnist_like):
    graph = load_graph({
        "format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
            {"id": "image", "type": "Input", "params": {"shape": [28, 28]}},
            {"id": "rows", "type": "LSTM", "params": {"hidden_size": 8}},
            {"id": "flat", "type": "Flatten"},
            {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
            {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]})
    [problem] = check_fit(graph, load_dataset(mnist_like)).problems
    assert problem.fix.startswith(
        "set image's shape to [1, 28, 28] (or, to keep [28, 28], load mnist.npz with the "
        "option channel_axis=none: CLI --data-option channel_axis=none; Data page: the file's "
        "options)")
    kept = load_dataset(mnist_like, channel_axis="none")
    assert check_fit(graph, kept).ok
