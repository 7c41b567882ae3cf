"""The runs database: rows, metrics, evaluations, control requests, recovery of dead runs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest

from layerloom.runtime import RunNotFound, RunStore
from layerloom.runtime.events import Event
from layerloom.runtime.liveness import died_reason
from layerloom.runtime.store import StoreControl, StoreSink, default_db


def new_run(store, **kw):
    return store.create_run("r", {"name": "g"}, {"source": "moons"}, {"epochs": 2}, **kw)


def test_default_location_follows_layerloom_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "elsewhere"))
    assert default_db() == tmp_path / "elsewhere" / "runs.db"
    store = RunStore()
    assert store.path.exists() and store.run_dir(3) == tmp_path / "elsewhere" / "runs" / "3"


def test_wal_mode_and_rows(store):
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    a, b = new_run(store), new_run(store, variables={"width": 2})
    run = store.get(b)
    assert (run.status, run.graph, run.variables, run.config) == \
        ("queued", {"name": "g"}, {"width": 2}, {"epochs": 2})
    store.set_status(a, "failed", "boom")
    assert [r.id for r in store.list_runs()] == [b, a]
    assert [r.id for r in store.list_runs(status="failed")] == [a]
    assert store.get(a).ended is not None and store.get(a).reason == "boom"
    with pytest.raises(ValueError, match="status must be one of queued, running"):
        store.set_status(a, "exploded")
    with pytest.raises(RunNotFound, match=r"no run 99 in"):
        store.get(99)
    store.delete(a)
    assert [r.id for r in store.list_runs()] == [b]


def test_sink_batches_metrics_and_progress(store):
    run_id = new_run(store)
    sink = StoreSink(store, run_id, flush_every=3600)
    sink(Event("step", epoch=0, epochs=2, step=1, total_steps=40,
               metrics={"loss": 1.2, "accuracy": 0.25}))
    # the first point is written at once: the user waits for it
    assert [(m.step, m.name) for m in store.metrics(run_id)] == [(1, "loss"), (1, "accuracy")]
    sink(Event("step", epoch=0, epochs=2, step=10, total_steps=40,
               metrics={"loss": 0.9, "accuracy": 0.5}))
    assert len(store.metrics(run_id)) == 2  # later ones buffered until the epoch ends
    sink(Event("epoch", epoch=0, epochs=2, step=20, total_steps=40, eta=5.0,
               metrics={"train_loss": 0.8, "train_accuracy": 0.6, "val_loss": 0.7,
                        "val_accuracy": 0.65, "lr": 0.01, "time": 1.5}))
    rows = store.metrics(run_id)
    assert [(m.split, m.name, m.value) for m in rows] == [
        ("step", "loss", 1.2), ("step", "accuracy", 0.25), ("step", "loss", 0.9),
        ("step", "accuracy", 0.5), ("train", "loss", 0.8),
        ("train", "accuracy", 0.6), ("val", "loss", 0.7), ("val", "accuracy", 0.65),
        ("train", "lr", 0.01), ("train", "time", 1.5)]
    assert store.history(run_id) == [{"epoch": 1, "train_loss": 0.8, "train_accuracy": 0.6,
                                      "val_loss": 0.7, "val_accuracy": 0.65, "lr": 0.01,
                                      "time": 1.5}]
    progress = store.get(run_id).progress
    assert (progress["step"], progress["total_steps"], progress["eta"]) == (20, 40, 5.0)
    assert store.metrics(run_id, after=rows[-2].rowid) == rows[-1:]
    store.trim_metrics(run_id, step=5, epoch=0)  # a resume from step 5 drops what came after
    assert [m.step for m in store.metrics(run_id)] == [1, 1]


def test_control_requests_and_heartbeat(store):
    run_id = new_run(store)
    control = StoreControl(store, run_id, interval=3600)
    assert control.poll() is None and store.get(run_id).heartbeat is not None
    store.request(run_id, "pause")
    assert control.poll() is None  # read at most once per interval
    control._next = 0
    assert control.poll() == "pause"
    with pytest.raises(ValueError, match="stop or pause, not 'explode'"):
        store.request(run_id, "explode")


def test_recover_marks_dead_runs_failed_and_resumable(store):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead, alive, stale, foreign, notebook = (new_run(store) for _ in range(5))
    checkpoint = store.run_dir(dead) / "checkpoint.pt"
    checkpoint.write_bytes(b"x")
    store.update(dead, status="running", pid=proc.pid, checkpoint=str(checkpoint))
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                               "layerloom.runtime.worker"])  # a live process that says it is ours
    try:
        store.update(alive, status="running", pid=worker.pid, heartbeat=time.time())
        store.update(stale, status="running", pid=worker.pid, heartbeat=time.time() - 999)
        init = 1  # alive, but not a LayerLoom process: the run's pid was reused
        store.update(foreign, status="running", pid=init, heartbeat=time.time() - 90)
        # a notebook training in its own process: not named LayerLoom, but beating
        store.update(notebook, status="running", pid=subprocess.os.getpid(),
                     heartbeat=time.time())
        assert sorted(store.recover(stale_after=60)) == [dead, stale, foreign]
    finally:
        worker.kill()
        worker.wait()
    run = store.get(dead)
    assert run.status == "failed" and run.resumable
    assert run.reason.startswith(f"its process (pid {proc.pid}) ended without reporting")
    assert run.reason.endswith("resume it from its last checkpoint")
    assert store.get(alive).status == store.get(notebook).status == "running"


def test_died_reason_names_the_signal():
    assert died_reason(1, -9, False).startswith("its process was killed by SIGKILL (often "
                                                "the system running out of memory")
    assert died_reason(1, 3, True) == ("its process exited with code 3 without reporting; "
                                       "resume it from its last checkpoint")


def test_a_second_connection_reads_what_the_first_wrote(store):
    run_id = new_run(store)
    reader = RunStore(store.path)
    store.add_metrics([(run_id, s, 0, "step", "loss", 1 / s, time.time()) for s in (1, 2, 3)])
    assert [m.step for m in reader.metrics(run_id, name="loss")] == [1, 2, 3]
