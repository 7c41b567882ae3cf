"""The CLI mends of a newcomer's first runs: epoch lines with the epoch's own time, numbers in
``runs --json``, a labelled confusion matrix, resuming a completed run for more epochs, help
for every option, bare ``layerloom``, and import-torch errors without torch.fx's notes."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import pytest

from layerloom.cli import main

IRIS = ["mlp-tabular", "--dataset", "iris"]


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _json(capsys) -> object:
    return json.loads(capsys.readouterr().out)


@pytest.fixture()
def trained(home, capsys):
    """One completed 2-epoch run (id 1) and the text the train command printed."""
    assert main(["train", *IRIS, "--epochs", "2", "--home", str(home)]) == 0
    return capsys.readouterr()


def test_epoch_lines_give_each_epochs_own_time(trained, home, capsys):
    seconds = [float(s) for s in re.findall(r"^Epoch \d/2 - ([\d.]+)s", trained.out, re.M)]
    assert len(seconds) == 2
    main(["runs", "show", "1", "--json", "--home", str(home)])
    history = _json(capsys)["history"]
    since_start = [row["time"] for row in history]
    # each line is its epoch's time: they add up to the run's training time (to rounding)
    assert sum(seconds) == pytest.approx(since_start[-1], abs=0.11)
    assert seconds[1] == pytest.approx(since_start[1] - since_start[0], abs=0.06)


def test_runs_json_gives_numbers(trained, home, capsys):
    assert main(["runs", "--json", "--home", str(home)]) == 0
    [row] = _json(capsys)
    assert row["id"] == 1 and row["status"] == "completed"
    assert row["epoch"] == 2 and row["epochs"] == 2
    best = row["best"]
    assert best["name"] == "val_loss" and isinstance(best["value"], float) and best["epoch"] in (1, 2)
    assert isinstance(row["test"]["accuracy"], float) and 0 <= row["test"]["accuracy"] <= 1
    assert isinstance(row["created"], float)


def test_runs_show_labels_the_confusion_matrix(trained, home, capsys):
    assert main(["runs", "show", "1", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if "confusion matrix" in line)
    assert "rows: true class, columns: predicted class" in lines[at]
    assert lines[at + 1].split()[-3:] == ["setosa", "versicolor", "virginica"]
    rows = [line.split() for line in lines[at + 2:at + 5]]
    assert [r[0] for r in rows] == ["setosa", "versicolor", "virginica"]
    assert sum(int(v) for r in rows for v in r[1:]) == 30  # iris's test split


def test_resume_of_a_completed_run_says_so_and_trains_it_further(trained, home, capsys):
    assert main(["resume", "1", "--home", str(home)]) == 1
    err = capsys.readouterr().err
    assert "run 1 is completed: it trained 2 epochs" in err
    assert "layerloom resume 1 --epochs" in err and "no checkpoint" not in err
    assert main(["resume", "1", "--epochs", "2", "--home", str(home)]) == 1
    assert "--epochs 2 is not more" in capsys.readouterr().err

    assert main(["resume", "1", "--epochs", "3", "--home", str(home)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "run 1: training on from epoch 2 to 3" in captured.err
    assert re.search(r"^Epoch 3/3 - [\d.]+s - loss", out, re.M)
    assert "Epoch 1/" not in out  # continued, not started again
    main(["runs", "show", "1", "--json", "--home", str(home)])
    run = _json(capsys)
    assert run["status"] == "completed" and run["config"]["epochs"] == 3
    assert [row["epoch"] for row in run["history"]] == [1, 2, 3]
    assert run["reason"] == "finished 3 epochs"


def test_bare_layerloom_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert "usage: layerloom" in captured.err and "validate" in captured.err


@pytest.mark.parametrize("command", ["train", "sweep", "lr-find"])
def test_split_fractions_have_help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--val-fraction F share of the samples held out to validate" in out
    assert "--test-fraction F share of the samples held out for the final test" in out


def test_import_torch_shape_errors_have_no_fx_notes(tmp_path, monkeypatch, capsys):
    (tmp_path / "wrongnet.py").write_text(textwrap.dedent("""
        import torch.nn as nn

        def make():
            return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(10, 2))
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", "wrongnet:make", "--input-shape", "1,8,8", "-o", "g.json"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().startswith("error: running Sequential on the sample input failed at 3 "
                                  "(Linear): mat1 and mat2 shapes cannot be multiplied")
    assert err.strip().endswith("(are the input shapes and dtypes right?)")
    assert "tlparse" not in err and "While executing" not in err
    assert "Original traceback" not in err and len(err.strip().splitlines()) == 1
    sys.modules.pop("wrongnet", None)


def test_a_damaged_checkpoint_is_said_before_the_run_is_touched(trained, home, capsys):
    """A completed run whose checkpoint was cut short stays completed with its settings: the
    error names the file and what to do; nothing offers a resume that cannot work."""
    from layerloom.runtime.store import RunStore

    store = RunStore(home / "runs.db")
    before = store.get(1)
    checkpoint = before.checkpoint
    data = open(checkpoint, "rb").read()
    open(checkpoint, "wb").write(data[:2000])
    assert main(["resume", "1", "--epochs", "5", "--home", str(home)]) == 1
    err = capsys.readouterr().err
    assert f"checkpoint.pt is not a readable LayerLoom checkpoint ({checkpoint}: " in err
    assert "put back a good copy, or start the run again" in err
    assert "\n" not in err.strip()  # one line, not torch's internals over several
    after = RunStore(home / "runs.db").get(1)
    assert after.status == "completed" and after.config["epochs"] == 2
    assert not after.resumable


def test_the_python_api_resumes_a_completed_run_for_more_epochs(trained, home):
    """resume_run takes a completed run on as the CLI does (it said 'no checkpoint')."""
    from layerloom.runtime import TrainError, resume_run, wait
    from layerloom.runtime.store import RunStore

    store = RunStore(home / "runs.db")
    with pytest.raises(TrainError, match=r"run 1 is completed: it trained 2 epochs\. To train "
                                         r"it further.*resume_run\(1, epochs=7\)"):
        resume_run(1, store=store)
    resume_run(1, store=store, epochs=3)
    run = wait(1, timeout=120, store=store)
    assert run.status == "completed", run.reason
    assert len(store.history(1)) == 3


def test_an_unknown_status_is_refused_naming_the_statuses(home, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["runs", "--status", "runing", "--home", str(home)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'runing'" in err and "'running'" in err and "'completed'" in err


def test_the_runs_list_counts_the_epochs_the_history_holds(trained, home, capsys):
    """A run killed just after an epoch ended: its history has the epoch, its progress (written
    at steps) still says the one before; the list says what was finished."""
    from layerloom.runtime.store import RunStore

    store = RunStore(home / "runs.db")
    store.update(1, status="failed", progress={"epoch": 0, "epochs": 5})
    store.close()
    assert main(["runs", "--home", str(home)]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert "failed" in row and "2/5" in row
    assert main(["runs", "--json", "--home", str(home)]) == 0
    (listed,) = _json(capsys)
    assert listed["epoch"] == 2 and listed["epochs"] == 5
