"""Stop, pause and resume: a run interrupted anywhere and resumed from its checkpoint ends with
exactly the weights of a run never interrupted (same seed, deterministic settings)."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime import TrainError, load_checkpoint, load_dataset, train
from layerloom.runtime.checkpoint import save_checkpoint
from layerloom.runtime.runner import as_graph, run_training

# dropout (global RNG), a warm-up and cosine schedule (step-dependent lr) and Adam's moments:
# everything a resume must restore
CONFIG = {"epochs": 3, "lr": 0.02, "schedule": "cosine", "warmup_steps": 3, "deterministic": True,
          "num_threads": 1, "log_every": 1, "batch_size": 32}


def resumed(graph, ds, checkpoint, **changes):
    from layerloom.runtime.runner import as_config

    result, _ = run_training(as_graph(graph), ds, as_config(CONFIG, **changes),
                             resume_from=checkpoint)
    return result


def assert_same_weights(a, b):
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        torch.testing.assert_close(sa[key], sb[key], rtol=0, atol=0, msg=key)


@pytest.mark.parametrize("stop_at", [13, 9])  # mid-epoch 2; right at the end of epoch 1 (9 steps)
def test_stopped_and_resumed_equals_uninterrupted(moons, mlp, tmp_path, stop_at):
    graph = mlp(dropout=0.2)
    whole = train(graph, moons, CONFIG)
    path = tmp_path / "ck.pt"
    stopped = train(graph, moons, CONFIG, checkpoint=path,
                    callback=lambda e: "stop" if e.kind == "step" and e.step == stop_at else None)
    assert stopped.status == "stopped" and f"at step {stop_at}" in stopped.reason
    assert len(stopped.history) < 3
    again = resumed(graph, moons, path)
    assert again.status == "completed"
    assert_same_weights(whole, again)
    assert [r["train_loss"] for r in again.history] == [r["train_loss"] for r in whole.history]
    assert again.metrics == whole.metrics


def test_paused_at_an_epoch_boundary_and_resumed(moons, mlp, tmp_path):
    graph = mlp(dropout=0.2)
    whole = train(graph, moons, CONFIG)
    path = tmp_path / "ck.pt"
    paused = train(graph, moons, CONFIG, checkpoint=path,
                   callback=lambda e: "pause" if e.kind == "epoch" and e.epoch == 0 else None)
    assert paused.status == "paused" and paused.evaluation is None  # no test pass on a pause
    ck = load_checkpoint(path)
    assert (ck["loop"]["epoch"], ck["loop"]["position"]) in ((0, 9), (1, 0))
    assert_same_weights(whole, resumed(graph, moons, path))


def test_checkpoint_is_plain_data(moons, mlp, tmp_path):
    path = tmp_path / "ck.pt"
    train(mlp(), moons, {**CONFIG, "epochs": 1}, checkpoint=path)
    state = torch.load(path, weights_only=True)  # no pickled code
    assert state["format"] == "layerloom-checkpoint"
    assert {"model", "optimizer", "schedule", "loop", "rng", "config"} <= set(state)
    assert state["loop"]["epoch"] == 1 and state["loop"]["step"] == 9
    assert set(state["rng"]) >= {"torch", "numpy", "python", "augment"}


def test_bad_checkpoints_are_refused(moons, mlp, tmp_path):
    with pytest.raises(TrainError, match=r"no checkpoint at .*missing\.pt"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainError, match=r"junk\.pt is not a readable LayerLoom checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    save_checkpoint(tmp_path / "future.pt", {"version": 99})
    with pytest.raises(TrainError, match=r"written by a newer LayerLoom"):
        load_checkpoint(tmp_path / "future.pt")


def test_resume_can_extend_the_run(moons, mlp, tmp_path):
    path = tmp_path / "ck.pt"
    short = train(mlp(), moons, {**CONFIG, "schedule": "constant", "epochs": 1}, checkpoint=path)
    longer = resumed(mlp(), moons, path, schedule="constant", epochs=2)
    assert len(short.history) == 1 and len(longer.history) == 2
    assert longer.history[0] == short.history[0]
    assert load_dataset  # the data API is the one the runtime re-exports


def test_run_given_a_dataset_in_memory_resumes_on_the_same_samples(moons, mlp, store):
    from layerloom.runtime.runner import execute_run

    whole = train(mlp(), moons, CONFIG)
    stopped = train(mlp(), moons, CONFIG, store=store,
                    callback=lambda e: "stop" if e.kind == "step" and e.step == 13 else None)
    run = store.get(stopped.run_id)
    assert run.status == "stopped" and run.resumable and run.dataset["saved"]
    again = execute_run(store, run.id, resume=True)  # no dataset given: the saved copy
    assert_same_weights(whole, again)
    assert store.get(run.id).status == "completed"
    assert [r["epoch"] for r in store.history(run.id)] == [1, 2, 3]
