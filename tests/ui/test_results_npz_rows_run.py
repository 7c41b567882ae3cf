"""Results page: a run on an .npz of 8-bit images [N, 28, 28] whose design reads the rows
(Input [28, 28]), recorded before the option channel_axis (none in its options), is loaded
again as it trained, [N, 28, 28], not said to have had its data changed."""

from __future__ import annotations

import numpy as np

from layerloom.runtime import RunStore, TrainConfig, train
from layerloom.runtime.runner import data_changed


def test_an_older_run_on_the_rows_loads_as_it_trained(tmp_path):
    from layerloom.graph import load_graph
    from layerloom.ui.predict import run_dataset

    x = np.zeros((40, 28, 28), np.uint8)
    y = np.arange(40) % 2
    for i, label in enumerate(y):
        (x[i, :, 4 + i % 20] if label else x[i, 4 + i % 20, :]).fill(255)
    np.savez(tmp_path / "mnist.npz", x=x, y=y)
    design = {"format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [28, 28]}},
        {"id": "rows", "type": "LSTM", "params": {"hidden_size": 4}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]}
    store = RunStore(tmp_path / "runs.db")
    spec = {"source": str(tmp_path / "mnist.npz"), "seed": 0, "val_fraction": 0.1,
            "test_fraction": 0.2, "options": {"channel_axis": "none"}}
    result = train(design, spec, TrainConfig(epochs=1, batch_size=8, num_threads=1),
                   store=store)
    store.update(result.run_id, dataset={**spec, "options": {}})  # as recorded back then
    run = store.get(result.run_id)
    ds = run_dataset(run)
    assert ds.input_shape == (28, 28)
    assert data_changed(run, load_graph(run.graph), ds) is None
