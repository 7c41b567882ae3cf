"""Sweeps in their own processes (runtime.start_sweep): the id comes back at once, the trials
run in the sweep's process and land in the database; a sweep whose process fails, or dies, is
recorded as failed with the reason in words; a sweep can be stopped (runtime.stop_sweep): no new
trial starts, the trial training stops as a stopped run, and the sweep ends stopped with the
reason; databases made before sweeps had those columns still open."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from layerloom.runtime import (RunStore, TrainError, start_sweep, stop_sweep, sweep,
                               sweep_status, wait_sweep)
from layerloom.runtime.liveness import pid_alive

TINY = {"epochs": 1, "num_threads": 1, "log_every": 5, "batch_size": 32}


def iris_mlp(mlp):
    return mlp(features=4, classes=3, hidden=8)


def test_a_sweep_returns_its_id_at_once_and_runs_in_its_own_process(store, mlp, monkeypatch):
    from layerloom.runtime import runner, search

    here = []  # no data loaded, no trial run in this process
    for module in (runner, search):
        for name in ("as_dataset", "execute_run"):
            monkeypatch.setattr(module, name, lambda *a, _n=name, **k: here.append(_n))
    sweep_id = start_sweep(iris_mlp(mlp), "iris", TINY, ["lr=1e-3:1e-1:log"], trials=2,
                           sampler="grid", name="tiny", store=store)
    assert here == []
    info = store.sweep(sweep_id)
    assert info["name"] == "tiny" and info["status"] in ("queued", "running")
    assert info["spec"]["trials"] == 2 and info["spec"]["objective"] == "val_loss"
    pid = info["pid"]
    assert pid and pid != os.getpid()
    assert store.list_runs(sweep_id=sweep_id) == [] or info["status"] == "running"

    done = wait_sweep(sweep_id, timeout=120, store=store)
    assert done["status"] == "completed" and done["reason"] is None and done["pid"] is None
    runs = sorted(store.list_runs(sweep_id=sweep_id), key=lambda r: r.id)
    assert len(runs) == 2 and all(r.status == "completed" for r in runs)
    assert all(r.config["epochs"] == 1 for r in runs)
    lrs = sorted(r.config["lr"] for r in runs)
    assert lrs[0] != lrs[1] and all(1e-3 <= lr <= 1e-1 + 1e-12 for lr in lrs)
    assert all(r.best_metric is not None for r in runs)
    deadline = time.monotonic() + 30  # its process exits, and is reaped: no zombie is left
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        sweep_status(sweep_id, store)
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}") and not pid_alive(pid)


def test_bad_settings_raise_before_any_process_starts(store, mlp):
    with pytest.raises(TrainError, match="sampler must be one of grid, random, tpe"):
        start_sweep(iris_mlp(mlp), "iris", TINY, ["lr=1e-3:1e-1"], trials=2, sampler="best",
                    store=store)
    with pytest.raises(TrainError, match="widht"):
        start_sweep(iris_mlp(mlp), "iris", TINY, ["widht=1,2"], trials=2, store=store)
    assert store._query("SELECT COUNT(*) FROM sweeps")[0][0] == 0


def test_a_sweep_whose_process_fails_records_the_reason(store, mlp):
    sweep_id = start_sweep(iris_mlp(mlp), "no-such-data", TINY, ["lr=1e-3:1e-1:log"],
                           trials=2, store=store)
    done = wait_sweep(sweep_id, timeout=60, store=store)
    assert done["status"] == "failed" and done["pid"] is None
    assert "no-such-data" in done["reason"]
    assert store.list_runs(sweep_id=sweep_id) == []


def test_a_sweep_whose_process_is_killed_is_marked_failed(store, mlp):
    sweep_id = start_sweep(iris_mlp(mlp), "iris", TINY, ["lr=1e-3:1e-1:log"], trials=2,
                           store=store)
    os.kill(store.sweep(sweep_id)["pid"], signal.SIGKILL)
    done = wait_sweep(sweep_id, timeout=30, store=store)
    assert done["status"] == "failed"
    assert done["reason"].startswith("its process was killed by SIGKILL")
    assert sweep_status(sweep_id, store)["status"] == "failed"


def test_an_older_database_gets_the_new_sweep_columns(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the sweeps table as schema version 1 made it
        conn.executescript("CREATE TABLE sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "name TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL, "
                           "status TEXT NOT NULL DEFAULT 'running');"
                           "INSERT INTO sweeps (name, spec, created) VALUES ('old', '{}', 0);"
                           "PRAGMA user_version=1;")
    store = RunStore(path)
    assert store.sweep(1) == {"id": 1, "name": "old", "spec": {}, "created": 0.0,
                              "status": "running", "reason": None, "pid": None,
                              "control": None}
    store.set_sweep_status(1, "failed", "lost")
    assert store.sweep(1)["reason"] == "lost"
    store.close()
    assert RunStore(path).sweep(1)["status"] == "failed"  # opening again changes nothing


def test_stopping_a_sweep_stops_its_trial_and_starts_no_other(store, mlp):
    slow = {**TINY, "epochs": 3000}  # far longer than the test waits: it is stopped
    sweep_id = start_sweep(iris_mlp(mlp), "iris", slow, ["lr=1e-3:1e-1:log"], trials=4,
                           store=store)
    deadline = time.monotonic() + 60
    while not any(r.status == "running" and (r.progress or {}).get("step")
                  for r in store.list_runs(sweep_id=sweep_id)):
        assert time.monotonic() < deadline, "the first trial did not start training"
        time.sleep(0.2)
    asked = stop_sweep(sweep_id, store)
    assert asked["control"] == "stop" and asked["status"] == "running"
    done = wait_sweep(sweep_id, timeout=60, store=store)
    runs = store.list_runs(sweep_id=sweep_id)
    assert done["status"] == "stopped" and done["pid"] is None and done["control"] is None
    assert done["reason"] == (f"stopped by the user after 0 of 4 trials; trial 0 (run "
                              f"{runs[0].id}) was stopped during training, its results so far "
                              f"kept")
    assert len(runs) == 1 and runs[0].status == "stopped"  # no new trial started
    assert runs[0].checkpoint and runs[0].final_metrics  # it checkpointed and was evaluated
    with pytest.raises(TrainError, match=f"sweep {sweep_id} is stopped, not running: "
                                         f"nothing to stop"):
        stop_sweep(sweep_id, store)


def test_a_sweep_stopped_between_trials_keeps_its_finished_trials_as_results(store, mlp):
    """In this process: the stop comes while trial 1 trains; trial 0 stays the best, trial 1
    is stopped (pruned for Optuna, not scored) and trials 2 and 3 never start (numbered from 0,
    as the sweep's table numbers them)."""
    def callback(event):
        runs = store.list_runs()
        if len(runs) == 2 and store.sweep(runs[0].sweep_id)["control"] is None:
            stop_sweep(runs[0].sweep_id, store)

    result = sweep(iris_mlp(mlp), "iris", {**TINY, "epochs": 40}, ["lr=1e-3:1e-1:log"],
                   trials=4, store=store, callback=callback)
    first, second = sorted(store.list_runs(), key=lambda r: r.id)
    assert result.status == "stopped" and [r["status"] for r in result.rows] == [
        "completed", "stopped"]
    assert result.reason == (f"stopped by the user after 1 of 4 trials; trial 1 (run "
                             f"{second.id}) was stopped during training, its results so far "
                             f"kept")
    assert result.best["run_id"] == first.id and first.status == "completed"
    assert second.status == "stopped"
    info = store.sweep(result.sweep_id)
    assert (info["status"], info["reason"], info["control"]) == ("stopped", result.reason, None)
    lines = result.table().splitlines()
    assert lines[1].split()[:3] == ["0", str(first.id), "completed"]
    assert lines[2].split()[:3] == ["1", str(second.id), "stopped"]
    with pytest.raises(TrainError, match=f"sweep {result.sweep_id} is stopped, not running"):
        stop_sweep(result.sweep_id, store)


def test_stopping_a_finished_sweep_names_its_status(store, mlp):
    result = sweep(iris_mlp(mlp), "iris", TINY, ["lr=1e-3:1e-1:log"], trials=1, store=store)
    assert result.status == "completed" and result.reason is None
    with pytest.raises(TrainError, match=f"sweep {result.sweep_id} is completed, not running: "
                                         f"nothing to stop"):
        stop_sweep(result.sweep_id, store)
    assert store.sweep(result.sweep_id)["control"] is None


def test_sigterm_stops_a_sweep_as_stop_sweep_does(store, mlp):
    """``kill`` of a sweep's process (as of a run's, which turns SIGTERM into a stop) killed it:
    the sweep was then recorded failed ('killed by SIGTERM'), its trial with it."""
    slow = {**TINY, "epochs": 3000}
    sweep_id = start_sweep(iris_mlp(mlp), "iris", slow, ["lr=1e-3:1e-1:log"], trials=4,
                           store=store)
    deadline = time.monotonic() + 60
    while not any(r.status == "running" and (r.progress or {}).get("step")
                  for r in store.list_runs(sweep_id=sweep_id)):
        assert time.monotonic() < deadline, "the first trial did not start training"
        time.sleep(0.2)
    os.kill(store.sweep(sweep_id)["pid"], signal.SIGTERM)
    done = wait_sweep(sweep_id, timeout=60, store=store)
    runs = store.list_runs(sweep_id=sweep_id)
    assert (done["status"], done["pid"]) == ("stopped", None), done["reason"]
    assert done["reason"].startswith("stopped by the user after 0 of 4 trials")
    assert [(run.status, run.resumable) for run in runs] == [("stopped", True)]
