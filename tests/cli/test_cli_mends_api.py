"""The Python API a newcomer meets first: ``train()`` quiet by default and reporting its
progress with ``verbose=True``; ``wait_sweep()`` giving the sweep's best trial."""

from __future__ import annotations

import re

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train, wait_sweep
from layerloom.runtime.search import sweep

TINY = {"epochs": 2, "num_threads": 1, "batch_size": 32}


@pytest.fixture()
def iris_mlp():
    graph = load_template("mlp-tabular")
    graph.variables.update(hidden=8, depth=1)
    return graph


def test_train_is_quiet_by_default(iris_mlp, capsys):
    result = train(iris_mlp, "iris", TINY)
    assert result.status == "completed"
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_train_verbose_prints_each_epoch_with_its_own_time(iris_mlp, capsys):
    seen = []
    result = train(iris_mlp, "iris", TINY, verbose=True, callback=seen.append)
    err = capsys.readouterr().err
    lines = re.findall(r"^Epoch (\d)/2 - ([\d.]+)s - loss: [\d.]+ - accuracy: [\d.]+ - "
                       r"val_loss: [\d.]+ - val_accuracy: [\d.]+$", err, re.M)
    assert [n for n, _ in lines] == ["1", "2"]
    # each epoch's own time: together they make the run's training time
    assert sum(float(s) for _, s in lines) == pytest.approx(result.history[-1]["time"], abs=0.11)
    assert any(e.kind == "epoch" for e in seen)  # a callback still gets every event


def test_wait_sweep_gives_the_best_trial(iris_mlp, tmp_path):
    store = RunStore(tmp_path / "runs.db")
    result = sweep(iris_mlp, "iris", TINY, ["lr=0.001,0.05"], trials=2, sampler="grid",
                   store=store)
    info = wait_sweep(result.sweep_id, timeout=30, store=store)
    assert info["status"] == "completed"
    best = info["best"]
    assert best["run_id"] == result.best["run_id"]
    assert best["value"] == pytest.approx(result.best["value"])
    assert best["objective"] == "val_loss" and best["params"] == {"lr": result.best["lr"]}
    runs = {r.id: r.best_metric for r in store.list_runs(sweep_id=result.sweep_id)}
    assert best["value"] == pytest.approx(min(runs.values()))
