"""Sequence explanations give one value per time step, whichever way the model reads the
sample: channels-first ``[C, L]`` for a 1-D convolution (the cnn1d-sequence template), ``[L, D]``
for a recurrent layer."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from layerloom.cli import main
from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, explain, train
from layerloom.runtime.attributions import explain_sample, sequence_layout
from layerloom.runtime.data import Dataset

LENGTH, PULSE = 128, 12


def pulses(n, seed, channels_first=True):
    """Noise with one bump; the class is the half (first or second) of the signal it is in."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.05, (n, LENGTH)).astype(np.float32)
    y = rng.integers(0, 2, n)
    starts = y * LENGTH // 2 + rng.integers(0, LENGTH // 2 - PULSE + 1, n)
    for i, s in enumerate(starts):
        x[i, s:s + PULSE] += 1.0
    x = x[:, None, :] if channels_first else x[:, :, None]
    return x, y.astype(np.int64), starts


def dataset(channels_first=True):
    t = torch.from_numpy
    parts = [pulses(n, seed, channels_first)[:2] for n, seed in ((300, 0), (40, 1), (40, 2))]
    shape = (1, LENGTH) if channels_first else (LENGTH, 1)
    return Dataset("pulses", "classification", shape, "float32", ["early", "late"], None,
                   *(t(a) for part in parts for a in part))


@pytest.fixture(scope="module")
def cnn1d_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    store = RunStore(home / "runs.db")
    result = train(load_template("cnn1d-sequence"), dataset(), store=store, epochs=3,
                   batch_size=32, lr=0.01, seed=0, num_threads=1,
                   variables={"width": 0.5, "classes": 2})
    return home, store, result


def test_cnn1d_heatmap_has_one_value_per_time_step_peaking_at_the_pulse(cnn1d_run):
    _, _, result = cnn1d_run
    model = result.model.eval()
    x, y, starts = pulses(20, 7)
    assert sequence_layout(model, torch.from_numpy(x[:1])) == "channels_first"
    hits = 0
    for i in range(len(x)):
        exp = explain_sample(model, torch.from_numpy(x[i]), target=int(y[i]))
        assert exp.kind == "sequence" and exp.heatmap.shape == (LENGTH,)
        assert exp.heatmap.std() > 0  # differs along time (was one summed value)
        hits += starts[i] - 2 <= exp.peak[0] < starts[i] + PULSE + 2
    assert hits / len(x) >= 0.8


def test_explain_cli_and_api_write_a_map_over_time(cnn1d_run, tmp_path, capsys):
    home, store, result = cnn1d_run
    x, _, starts = pulses(1, 9)
    sample, heat = tmp_path / "wave.npy", tmp_path / "map.npy"
    np.save(sample, x[0])
    assert explain(result.run_id, sample, db=store).heatmap.shape == (LENGTH,)
    assert main(["explain", str(result.run_id), "--input", str(sample), "--home", str(home),
                 "--heatmap", str(heat), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "sequence" and out["shape"] == [LENGTH]
    m = np.load(heat, allow_pickle=False)
    assert m.shape == (LENGTH,) and out["peak"] == [int(m.argmax())]


RNN = {
    "format": "layerloom-graph", "version": 1, "name": "pulse-gru",
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [LENGTH, 1]}},
        {"id": "rnn", "type": "GRU", "params": {"hidden_size": 8, "output": "last"}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [("x", "rnn"), ("rnn", "fc"),
                                                      ("fc", "out")]],
}


def test_time_first_sequences_still_sum_over_features():
    torch.manual_seed(0)
    from layerloom.graph import load_graph
    from layerloom.graph.compile import compile_graph

    model = compile_graph(load_graph(RNN)).eval()
    x = torch.from_numpy(pulses(1, 3, channels_first=False)[0][0])  # [L, 1]
    assert sequence_layout(model, x[None]) == "time_first"
    exp = explain_sample(model, x, method="ig", steps=8)
    assert exp.kind == "sequence" and exp.heatmap.shape == (LENGTH,)
