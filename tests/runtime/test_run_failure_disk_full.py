"""A run that fails on a full disk still tells why it failed. Recording its end fails there
too (the runs database and its log cannot grow), and the first error was lost: the CLI said
the disk was full, and a run started from the app stayed 'queued' with an empty worker.log,
'its process exited with code 1 without reporting' at best. Now the first error is the one
raised, and a run's process writes it over room it took as it started (failure.txt), where
the app reads it; where the app cannot record it either, it still shows it."""

from __future__ import annotations

import errno
import subprocess

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import failure_note, process
from layerloom.runtime.config import TrainConfig
from layerloom.runtime.data import DataError
from layerloom.runtime.runner import execute_run
from layerloom.runtime.store import RunStore, StoreError
from layerloom.runtime.worker import main as worker_main

FULL = "the disk that holds the runs database is full (database or disk is full)"


class FullStream:
    """A log on a full disk."""

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def failing_run(tmp_path, monkeypatch):
    """A run whose data file is gone, in a store that can record no end (a full disk)."""
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", load_template("mlp-tabular").to_dict(),
                              {"source": str(tmp_path / "gone.csv")},
                              TrainConfig(epochs=1).to_dict(), {"features": 4, "classes": 3})

    def full(self, *args, **kwargs):
        raise StoreError(FULL, self.path)

    monkeypatch.setattr(RunStore, "set_status", full)
    monkeypatch.setattr(RunStore, "add_metrics", full)
    return store, run_id


def test_the_first_error_is_raised_not_the_one_recording_it(failing_run):
    store, run_id = failing_run
    with pytest.raises(DataError, match="gone.csv") as caught:
        execute_run(store, run_id)
    assert any(FULL in note for note in caught.value.__notes__)


def test_a_run_process_that_can_write_nothing_leaves_its_reason_for_the_app(failing_run,
                                                                            monkeypatch):
    store, run_id = failing_run
    monkeypatch.setattr("sys.stderr", FullStream())
    assert worker_main([str(run_id), "--db", str(store.path)]) == 1
    said = failure_note.read(store.root / "runs" / str(run_id))
    assert said is not None and "gone.csv" in said
    assert store.get(run_id).status == "running"  # its end was not recorded

    ended = subprocess.Popen(["true"])  # the run's process, as the app started it, ended
    ended.wait(timeout=30)
    monkeypatch.setitem(process._children, (str(store.path), run_id), ended)
    run = process.run_status(run_id, store)
    assert run.status == "failed"
    assert run.reason == f"{said} (the process could not record it: its disk may be full)"


def test_a_run_that_ends_as_it_says_leaves_no_note(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", load_template("mlp-tabular").to_dict(), {"source": "iris"},
                              TrainConfig(epochs=1, batch_size=64).to_dict(),
                              {"features": 4, "classes": 3})
    assert worker_main([str(run_id), "--db", str(store.path)]) == 0
    assert store.get(run_id).status == "completed"
    assert not (store.root / "runs" / str(run_id) / failure_note.NAME).exists()


def test_a_process_that_could_take_no_room_is_said_to_have_met_a_full_disk(failing_run,
                                                                          monkeypatch):
    from collections import namedtuple

    from layerloom.runtime import store as store_module

    store, run_id = failing_run
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda path: usage(1 << 20, 1 << 20, 0))
    ended = subprocess.Popen(["false"])
    ended.wait(timeout=30)
    monkeypatch.setitem(process._children, (str(store.path), run_id), ended)
    run = process.run_status(run_id, store)
    assert (run.status, run.reason) == ("failed", (
        f"its process exited with code 1 without reporting; the disk that holds {store.root} "
        f"is full, so it could record nothing of why: free some space on it"))


def test_a_sweep_that_can_write_nothing_leaves_its_reason_too(tmp_path, monkeypatch):
    from layerloom.runtime.search import sweep_spec
    from layerloom.runtime.sweep_worker import main as sweep_main

    store = RunStore(tmp_path / "runs.db")
    graph = load_template("mlp-tabular")
    spec = sweep_spec(graph, {"source": str(tmp_path / "gone.csv")}, TrainConfig(epochs=1),
                      ["lr=0.01,0.1"], trials=2, sampler="grid",
                      variables={"features": 4, "classes": 3})
    sweep_id = store.create_sweep("s", {**spec, "graph": graph.to_dict()}, status="queued")
    real = RunStore.update_sweep

    def full_at_the_end(self, sweep_id, **fields):
        if fields.get("status") == "failed":
            raise StoreError(FULL, self.path)
        real(self, sweep_id, **fields)

    monkeypatch.setattr(RunStore, "update_sweep", full_at_the_end)
    monkeypatch.setattr("sys.stderr", FullStream())
    assert sweep_main([str(sweep_id), "--db", str(store.path)]) == 1
    said = failure_note.read(store.root / "sweeps" / str(sweep_id))
    assert said is not None and "gone.csv" in said

    store.update_sweep(sweep_id, pid=999_999_999)  # as its process recorded itself
    ended = subprocess.Popen(["false"])
    ended.wait(timeout=30)
    monkeypatch.setitem(process._sweep_children, (str(store.path), sweep_id), ended)
    info = process.sweep_status(sweep_id, store)
    assert (info["status"], info["reason"]) == (
        "failed", f"{said} (the process could not record it: its disk may be full)")
