"""``layerloom train | runs | resume | sweep | lr-find``: output, JSON, exit codes, errors in
words (never a traceback)."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore

DATA = ["--dataset", "moons", "--data-option", "n_samples=300", "--cfg", "num_threads=1"]


@pytest.fixture
def graph_file(tmp_path, mlp):
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(mlp(head="Softmax")))
    return str(path)


def test_train_prints_epochs_and_test_results(graph_file, capsys, tmp_path):
    code = main(["train", graph_file, *DATA, "--epochs", "2", "--lr", "0.02"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Epoch 1/2 - ") and " - loss: " in lines[0] \
        and " - val_accuracy: " in lines[0]
    assert lines[1].startswith("Epoch 2/2 - ")
    assert lines[-2].startswith("Test loss: ") and lines[-1].startswith("Test accuracy: ")
    assert "Softmax is left out while training" in err and "Traceback" not in err
    run = RunStore(tmp_path / "home" / "runs.db").list_runs()[0]
    assert run.status == "completed" and run.config["epochs"] == 2
    assert run.final_metrics["test_accuracy"] == pytest.approx(float(lines[-1].split()[-1]),
                                                               abs=1e-4)


def test_train_json_is_one_object(graph_file, capsys):
    assert main(["train", graph_file, *DATA, "--epochs", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] == 1 and out["status"] == "completed"
    assert set(out["metrics"]) >= {"test_loss", "test_accuracy"}


@pytest.mark.parametrize("argv, code, message", [
    (["train", "missing.json", "--dataset", "moons"], 2, r"error: missing.json: no such file"),
    (["train", "{graph}", "--dataset", "iris"], 1,
     r"error: x: the Input is \[2\] but iris gives \[4\] per sample. Fix: set x's shape "
     r"to \[4\]"),
    (["train", "{graph}", "--dataset", "moonz"], 1,
     r"error: no built-in dataset 'moonz' and no such file \(did you mean 'moons'\?\)"),
    (["train", "{graph}", "--dataset", "data.csv"], 2, r"error: data.csv: no such file"),
    (["train", "{graph}", "--dataset", "moons", "--lr", "-1"], 1, r"error: lr must be > 0"),
    (["train", "{graph}", "--dataset", "moons", "--cfg", "shedule=cosine"], 1,
     r"error: unknown config field 'shedule' \(did you mean 'schedule'\?\)"),
    (["train", "{graph}", "--dataset", "moons", "--config", "nope.json"], 2,
     r"error: nope.json: cannot read it"),
    (["train", "{graph}", "--dataset", "moons", "--set", "width=2"], 1,
     r"no variable 'width' to set"),
    (["runs", "show", "42"], 1, r"error: no run 42 in"),
    (["resume", "42"], 1, r"error: no run 42 in"),
    (["sweep", "{graph}", "--dataset", "moons", "--param", "depth=1,2"], 1,
     r"error: cannot sweep 'depth'"),
    # a training setting's values are checked before any trial runs
    (["sweep", "{graph}", "--dataset", "moons", "--param", "lr=abc"], 1,
     r"error: --param lr: the value 'abc' cannot be used: lr must be a number, got 'abc'"),
    (["sweep", "{graph}", "--dataset", "moons", "--param", "lr=-1:0.1"], 1,
     r"error: --param lr: the value -1 cannot be used: lr must be > 0, got -1"),
    (["sweep", "{graph}", "--dataset", "moons", "--param", "lr=0.01,0.1", "--trials", "0"], 1,
     r"error: a sweep needs at least 1 trial, got 0"),
])
def test_errors_in_words(graph_file, capsys, argv, code, message):
    import re

    assert main([a.replace("{graph}", graph_file) for a in argv]) == code
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err


def test_runs_list_show_and_resume(graph_file, capsys, tmp_path):
    from layerloom.runtime.runner import CHECKPOINT_NAME

    assert main(["train", graph_file, *DATA, "--epochs", "1", "--name", "first"]) == 0
    capsys.readouterr()
    assert main(["runs"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["id", "name", "status", "dataset", "epoch", "best", "test",
                                "created"]
    # the name column holds the display name: a run alone under its name is "name #id"
    assert table[1].split()[:6] == ["1", "first", "#1", "completed", "moons", "1/1"]

    assert main(["runs", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "run 1: first (completed)" in shown and "confusion matrix" in shown
    assert "epoch  train_loss" in shown
    # the history's time is the training time so far, headed so (not a bare "time" beside
    # the epoch lines' own times)
    header = next(line for line in shown.splitlines() if line.startswith("epoch  train_loss"))
    assert header.split()[-1] == "elapsed_s" and " time" not in header

    assert (tmp_path / "home" / "runs" / "1" / CHECKPOINT_NAME).exists()
    store = RunStore(tmp_path / "home" / "runs.db")
    store.set_status(1, "stopped", "stopped by request")
    assert main(["resume", "1", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Epoch 2/2 - ") and "Test accuracy: " in out
    assert len(store.history(1)) == 2 and store.get(1).status == "completed"
    assert main(["runs", "show", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["history"][1]["epoch"] == 2


def test_sweep_and_lr_find(graph_file, capsys):
    assert main(["sweep", graph_file, *DATA, "--epochs", "1", "--param", "lr=0.001,0.03",
                 "--trials", "2", "--sampler", "grid"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["trial", "run_id", "status", "lr", "val_loss"]
    assert "best: lr=" in out
    assert main(["sweep", graph_file, *DATA, "--epochs", "1", "--param", "lr=0.001,0.03",
                 "--trials", "2", "--sampler", "grid", "--json"]) == 0
    swept = json.loads(capsys.readouterr().out)
    assert (swept["status"], swept["reason"], swept["objective"]) == ("completed", None,
                                                                      "val_loss")
    assert sorted(t["lr"] for t in swept["trials"]) == [0.001, 0.03]
    assert swept["best"]["value"] == min(t["value"] for t in swept["trials"])
    assert main(["lr-find", graph_file, *DATA, "--steps", "40", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found["lrs"]) <= 40 and found["suggestion"] > 0
    assert main(["lr-find", graph_file, *DATA, "--steps", "40"]) == 0
    assert "Suggested learning rate: " in capsys.readouterr().out


def test_a_sweep_whose_trials_all_fail_says_why_and_exits_non_zero(capsys, tmp_path):
    """A swept variable that breaks the design fails its trial, with the design's own message in
    the output (not Optuna's "the value nan is not acceptable"); no result at all is an error."""
    argv = ["sweep", "mlp-tabular", "--dataset", "iris", "--epochs", "1", "--cfg",
            "num_threads=1", "--param", "hidden=0", "--trials", "1"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert ("trial 0 (hidden=0) failed: hidden/0/linear.out_features: out_features must be at "
            "least 1, got 0") in out
    assert "error: no trial of sweep 1 gave a result" in err
    assert "nan" not in err and "Traceback" not in err
    assert main([*argv, "--json"]) == 1
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["status"] == "failed" and "out_features must be at least 1" in trial["reason"]
    # One trial that works is a result: the sweep succeeds, the failed one still said.
    assert main([*argv[:-4], "--param", "hidden=0,8", "--trials", "2", "--sampler",
                 "grid"]) == 0
    out = capsys.readouterr().out
    assert "trial" in out and "(hidden=0) failed: " in out and "best: hidden=8" in out
