"""A run stopped or paused mid-epoch (or killed past its checkpoint) and resumed stores the same
step curve and layer diagnostics as a run never interrupted: the same steps, the same values,
no point twice and none that the uninterrupted run does not have."""

from __future__ import annotations

import collections
import shutil

import pytest

from layerloom.runtime import Control, Event, train
from layerloom.runtime.runner import execute_run
from layerloom.runtime.store import StoreSink

# 9 steps an epoch (moons, 400 samples, batch 32); points every 4 steps and at each epoch's
# last step (9, 18, 27), diagnostics every 6
CONFIG = {"epochs": 3, "lr": 0.02, "deterministic": True, "num_threads": 1, "log_every": 4,
          "diagnose_every": 6, "batch_size": 32, "seed": 3}


class StopAfter(Control):
    """Asks the run to stop (or pause) once ``steps`` steps are done: the trainer polls before
    each step."""

    def __init__(self, steps: int, request: str = "stop"):
        super().__init__()
        self.left, self.request = steps, request

    def poll(self):
        self.left -= 1
        return self.request if self.left < 0 else None


def curve(store, run_id):
    """``{(split, name, step): [values]}`` of the step points and layer diagnostics (without
    the speed, which is a timing)."""
    rows = collections.defaultdict(list)
    for m in store.metrics(run_id):
        if m.split in ("step", "layer") and m.name != "samples_per_s":
            rows[(m.split, m.name, m.step)].append(m.value)
    return rows


def assert_same_curve(store, whole_id, run_id):
    want, got = curve(store, whole_id), curve(store, run_id)
    assert sorted(got) == sorted(want)  # the same points, none extra
    for key, values in got.items():
        assert len(values) == 1, f"{key} stored {len(values)} times"
        assert values[0] == pytest.approx(want[key][0], abs=1e-6), key


@pytest.fixture
def whole(moons, mlp, store):
    result = train(mlp(dropout=0.2), moons, CONFIG, store=store)
    steps = sorted({k[2] for k in curve(store, result.run_id) if k[0] == "step"})
    assert steps == [1, 4, 8, 9, 12, 16, 18, 20, 24, 27]
    return result.run_id


@pytest.mark.parametrize("request_", ["stop", "pause"])
def test_resumed_mid_epoch_stores_the_uninterrupted_curve(moons, mlp, store, whole, request_):
    # step 14: mid-epoch 2, two steps past the point at 12, two before the one at 16
    first = train(mlp(dropout=0.2), moons, CONFIG, store=store,
                  control=StopAfter(14, request_))
    assert first.status == {"stop": "stopped", "pause": "paused"}[request_]
    seen = []
    again = execute_run(store, first.run_id, resume=True, callback=seen.append)
    assert again.status == "completed"
    assert_same_curve(store, whole, first.run_id)
    # the resumed session's first step is still shown at once, as provisional
    first_step = next(e for e in seen if e.kind == "step")
    assert first_step.step == 15 and first_step.provisional


def test_rows_written_past_the_checkpoint_are_trimmed_on_resume(moons, mlp, store, whole,
                                                                tmp_path):
    """As after a kill -9: the process trained past its last checkpoint (step 14), logging
    points and diagnostics (steps 16, 18, 20, 24), then died; the resume goes on from 14."""
    run = train(mlp(dropout=0.2), moons, CONFIG, store=store, control=StopAfter(14))
    ck = store.run_dir(run.run_id) / "checkpoint.pt"
    shutil.copy(ck, tmp_path / "at14.pt")
    execute_run(store, run.run_id, resume=True, control=StopAfter(25 - 14))
    assert max(m.step for m in store.metrics(run.run_id, split="layer")) == 24
    shutil.copy(tmp_path / "at14.pt", ck)  # the process died before writing this checkpoint
    store.update(run.run_id, status="failed")
    execute_run(store, run.run_id, resume=True)
    assert_same_curve(store, whole, run.run_id)
    assert [r["epoch"] for r in store.history(run.run_id)] == [1, 2, 3]


def test_store_sink_keeps_no_row_of_a_provisional_point(store):
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    sink = StoreSink(store, run_id, flush_every=0)
    sink(Event("step", epochs=1, step=15, total_steps=30, metrics={"loss": 1.0},
               provisional=True))
    assert store.metrics(run_id) == []
    assert store.get(run_id).progress["step"] == 15  # but the progress shows it
    sink(Event("step", epochs=1, step=16, total_steps=30, metrics={"loss": 0.5}))
    assert [(m.step, m.value) for m in store.metrics(run_id)] == [(16, 0.5)]
