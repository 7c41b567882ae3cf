"""``layerloom export RUN_ID`` (and ``--format project``, ``explain``) of a run that failed before
its first checkpoint: the runner records the checkpoint's path as it starts, so the run had a path
and no file, and the export said "no checkpoint at <path>: the run saved none (it stopped before
the end of its first epoch?)" of a run that had failed, with nothing of why or what to do. It
now says the run failed, its reason, and to train it again; exit 1, as for any bad input."""

from __future__ import annotations

import os

import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore

REASON = ("The design's Input is [4] float32 but mnist-5k gives [1, 28, 28] float32: set the "
          "Input's shape to [1, 28, 28] (or pick a dataset of that shape).")


@pytest.fixture
def failed_run(tmp_path):
    """A run as the runner leaves one that failed on its data: a checkpoint path, no file."""
    store = RunStore(tmp_path / "home" / "runs.db")
    run_id = store.create_run("mlp-tabular", {"nodes": [], "edges": []}, {"source": "mnist-5k"},
                              {"epochs": 1}, {})
    store.update(run_id, checkpoint=str(store.root / "runs" / str(run_id) / "checkpoint.pt"))
    store.set_status(run_id, "failed", REASON)
    return run_id


@pytest.mark.parametrize("fmt", ["bundle", "onnx", "project"])
def test_exporting_a_run_that_failed_says_why_and_what_to_do(tmp_path, capsys, failed_run, fmt):
    code = main(["export", str(failed_run), "-f", fmt, "--home", str(tmp_path / "home"),
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (f"error: run {failed_run} (failed) saved no checkpoint, so there are no "
                   f"trained weights to export: it failed before the end of its first epoch, "
                   f"with: {REASON} Train it again once that is fixed\n")
    assert not (tmp_path / "out").exists()


def test_explaining_a_run_that_failed_says_why(tmp_path, capsys, failed_run):
    image = tmp_path / "digit.png"
    from PIL import Image

    Image.new("L", (28, 28)).save(image)
    code = main(["explain", str(failed_run), "--input", str(image), "--home",
                 str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert (f"run {failed_run} (failed) saved no checkpoint, so there is no trained model to "
            f"explain: it failed before the end of its first epoch, with: {REASON}") in err


def test_a_stopped_run_without_a_checkpoint_is_said_stopped(tmp_path, capsys):
    store = RunStore(tmp_path / "home" / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    store.update(run_id, checkpoint=str(store.root / "runs" / str(run_id) / "checkpoint.pt"))
    store.set_status(run_id, "stopped", "stopped by the user")
    assert main(["export", str(run_id), "-f", "safetensors", "--home",
                 str(tmp_path / "home"), "-o", str(tmp_path / "w.safetensors")]) == 1
    assert capsys.readouterr().err == (
        f"error: run {run_id} (stopped) saved no checkpoint, so there are no trained weights to "
        f"export: it was stopped before the end of its first epoch; train it again, for at least "
        f"one epoch\n")


def test_resuming_a_run_that_failed_before_its_first_checkpoint_says_why(tmp_path, capsys,
                                                                          failed_run):
    assert main(["resume", str(failed_run), "--home", str(tmp_path / "home")]) == 1
    assert capsys.readouterr().err == (
        f"error: run {failed_run} (failed) saved no checkpoint, so there is nothing to resume "
        f"from: it failed before the end of its first epoch, with: {REASON} Train it again once "
        f"that is fixed\n")


def test_resuming_a_run_that_is_training_says_what_to_do(tmp_path, capsys):
    store = RunStore(tmp_path / "home" / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    store.update(run_id, status="running", pid=os.getpid())  # alive: it is not marked failed
    assert main(["resume", str(run_id), "--home", str(tmp_path / "home")]) == 1
    assert capsys.readouterr().err == (
        f"error: run {run_id} is running in process {os.getpid()}; only a paused, stopped or "
        f"failed run can be resumed: wait for it to end, or stop it first (Ctrl+C where it "
        f"trains, or stop_run({run_id}))\n")
