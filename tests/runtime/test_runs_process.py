"""Runs in their own processes: a failing run and a killed one are recorded with their reasons
while another keeps training; the database is read while the run writes it; pause and resume.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from layerloom.graph import GraphError
from layerloom.runtime import (TrainError, kill_run, pause_run, resume_run, run_status,
                               start_run, stop_run, wait)
from layerloom.runtime.store import ACTIVE

SPEC = {"source": "moons", "options": {"n_samples": 4000}}
SLOW = {"epochs": 200, "lr": 0.01, "num_threads": 1, "log_every": 5, "batch_size": 16}


def wait_for(condition, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def reaper(store):
    """Ends any run a failing test leaves behind (their processes outlive the test)."""
    yield
    for run in store.list_runs():
        if run.status in ACTIVE:
            kill_run(run.id, store, grace=2)


def test_runs_in_processes(store, mlp, reaper):
    good = start_run(mlp(), SPEC, SLOW, store=store, name="good")
    bad = start_run(mlp(features=3), SPEC, SLOW, store=store, name="bad")
    victim = start_run(mlp(), SPEC, SLOW, store=store, name="victim")

    # the reader (this process) sees metrics while the run is still writing them
    wait_for(lambda: len(store.metrics(good, split="step")) >= 8, what="metrics mid-run")
    assert run_status(good, store).status == "running"

    failed = wait(bad, timeout=90, store=store)
    assert failed.status == "failed"
    assert failed.reason == ("The design's Input is [3] float32 but moons gives [2] float32: "
                             "set the Input's shape to [2] (or pick a dataset of that shape).")

    # a process killed outright (as the kernel does when memory runs out)
    wait_for(lambda: store.metrics(victim, split="step"), what="the victim training")
    os.kill(store.get(victim).pid, signal.SIGKILL)
    dead = wait(victim, timeout=30, store=store)
    assert dead.status == "failed"
    assert dead.reason.startswith("its process was killed by SIGKILL")
    assert run_status(good, store).status == "running"  # the others never noticed

    pause_run(good, store)
    paused = wait(good, timeout=30, store=store)
    assert paused.status == "paused" and paused.resumable
    assert paused.reason.startswith("paused by request at step ")
    steps_before = [m.step for m in store.metrics(good, split="step", name="loss")]

    epoch = paused.progress["epoch"]
    resume_run(good, store, epochs=epoch + 1)  # finish the epoch it paused in, then end
    done = wait(good, timeout=90, store=store)
    assert done.status == "completed", done.reason
    assert done.final_metrics["test_accuracy"] > 0.5
    steps = [m.step for m in store.metrics(good, split="step", name="loss")]
    assert steps[:len(steps_before)] == steps_before and steps == sorted(set(steps))
    assert len(store.history(good)) == epoch + 1

    with pytest.raises(TrainError, match=r"run \d+ is completed, not running: nothing to stop"):
        stop_run(good, store)


def test_a_dataset_in_memory_that_does_not_fit_is_refused_before_a_run_is_recorded(store, mlp):
    from layerloom.runtime.data import DataError, load_dataset

    ds = load_dataset("moons", n_samples=200)
    with pytest.raises(DataError, match=r"^x: the Input is \[3\] but moons gives \[2\] per "
                                        r"sample\. Fix: set x's shape to \[2\]\.$"):
        start_run(mlp(features=3), ds, SLOW, store=store)
    assert store.list_runs() == []  # nothing recorded, no process started


def test_invalid_graph_is_refused_before_a_process_starts(store, mlp):
    graph = mlp()
    graph["nodes"][1]["params"]["out_features"] = "=widht"
    with pytest.raises(GraphError, match=r"fc1\.out_features"):
        start_run(graph, SPEC, SLOW, store=store)
    assert store.list_runs() == []
