"""An .npz of 8-bit images [N, H, W] (MNIST's rows) is read as the design that trains on it
takes it: an RNN or MLP whose Input is [28, 28] trains on the rows, as before 8-bit images
gained a channel axis, a CNN of Input [1, 28, 28] on [N, 1, H, W]; and a run recorded before
the option channel_axis existed is loaded again (explain, export, resume) as it trained."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.graph import load_graph
from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, TrainConfig, train
from layerloom.runtime.data.for_design import design_input_shape, for_design
from layerloom.runtime.explain_run import load_run
from layerloom.runtime.runner import execute_run, load_from_spec

CONFIG = TrainConfig(epochs=1, batch_size=16, seed=0, num_threads=1, log_every=1000)


def rows_design() -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [28, 28]}},
        {"id": "rows", "type": "LSTM", "params": {"hidden_size": 8}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]}


@pytest.fixture
def mnist_like(tmp_path):
    x = np.zeros((60, 28, 28), np.uint8)
    y = np.arange(60) % 2
    for i, label in enumerate(y):
        (x[i, :, 4 + i % 20] if label else x[i, 4 + i % 20, :]).fill(255)
    path = tmp_path / "mnist.npz"
    np.savez(path, x=x, y=y)
    return path


def test_the_design_decides_auto():
    assert design_input_shape(load_graph(rows_design())) == [28, 28]
    assert design_input_shape(rows_design()) == [28, 28]
    assert for_design("m.npz", {}, [28, 28]) == {"channel_axis": "none"}
    assert for_design("m.npz", {"channel_axis": "auto"}, [1, 28, 28]) == {"channel_axis": "add"}
    assert for_design("m.npz", {"channel_axis": "add"}, [28, 28]) == {"channel_axis": "add"}
    assert for_design("m.npz", {}, [3, 28, 28]) == {}
    assert for_design("m.csv", {}, [28, 28]) == {}
    assert for_design("m.npz", {}, None) == {}


def test_a_design_reading_the_rows_trains_on_them(mnist_like, tmp_path):
    store = RunStore(tmp_path / "runs.db")
    result = train(rows_design(), str(mnist_like), CONFIG, store=store)
    assert result.status == "completed"
    run = store.get(result.run_id)
    assert load_from_spec(run.dataset, run.graph).input_shape == (28, 28)
    assert load_run(result.run_id, store).dataset.input_shape == (28, 28)
    # the CNN of the graph format still gets the channel axis
    cnn = load_template("seed-cnn")
    assert load_from_spec({"source": str(mnist_like)}, cnn).input_shape == (1, 28, 28)
    assert load_from_spec({"source": str(mnist_like)}).input_shape == (1, 28, 28)


def test_floats_get_the_axis_a_cnn_takes(tmp_path):
    path = tmp_path / "floats.npz"
    np.savez(path, x=np.random.default_rng(0).random((20, 28, 28), np.float32),
             y=np.arange(20) % 2)
    cnn = load_template("seed-cnn")
    assert load_from_spec({"source": str(path)}, cnn).input_shape == (1, 28, 28)
    assert load_from_spec({"source": str(path)}, rows_design()).input_shape == (28, 28)


def test_a_run_recorded_before_the_option_loads_as_it_trained(mnist_like, tmp_path):
    """Recorded with no channel_axis in its options, trained on [N, 28, 28] (as every such
    file was read then): explain, export and resume read it so, not '[1, 28, 28]: the file has
    changed since the run trained'."""
    store = RunStore(tmp_path / "runs.db")
    spec = {"source": str(mnist_like), "seed": 0, "val_fraction": 0.1, "test_fraction": 0.2,
            "options": {"channel_axis": "none"}}
    result = train(rows_design(), spec, CONFIG, store=store)
    assert result.status == "completed"
    store.update(result.run_id, dataset={**spec, "options": {}})  # as recorded back then
    trained = load_run(result.run_id, store)
    assert trained.dataset.input_shape == (28, 28)
    from layerloom.runtime.export import run_export

    _, info = run_export(result.run_id, store)
    assert "unavailable" not in info.dataset and info.dataset["input_shape"] == [28, 28]
    resumed = execute_run(store, result.run_id, resume=True, epochs=2)
    assert resumed.status == "completed"
