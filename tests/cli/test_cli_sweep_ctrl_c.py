"""Ctrl+C during ``layerloom sweep`` stops it as it stops ``train``: the trial training stops at
its next batch (kept, resumable), no new trial starts, the table of the trials so far is
printed and the sweep is recorded ``stopped``. It ended with "interrupted" and no table, the
sweep left ``running`` in the database for ever."""

from __future__ import annotations

import signal

from layerloom.cli import main
from layerloom.runtime import search
from layerloom.runtime.store import RunStore


def _ctrl_c_at_the_first_step(monkeypatch):
    real_execute_run = search.execute_run

    def execute_run(store, run_id, **kwargs):  # Ctrl+C at the first trial's first step
        given = kwargs.get("callback")

        def callback(event):
            if event.kind == "step" and run_id == 1:
                signal.raise_signal(signal.SIGINT)
            return given(event) if given else None

        return real_execute_run(store, run_id, **{**kwargs, "callback": callback})

    monkeypatch.setattr(search, "execute_run", execute_run)


def test_ctrl_c_stops_the_sweep_and_keeps_what_it_did(tmp_path, monkeypatch, capsys):
    _ctrl_c_at_the_first_step(monkeypatch)
    code = main(["sweep", "mlp-tabular", "-d", "iris", "--epochs", "3", "--param",
                 "lr=0.001,0.01,0.1", "--cfg", "log_every=1", "--home", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 130, captured.err
    assert "stopping at the next batch (Ctrl-C again to quit now)" in captured.err
    assert "sweep 1 stopped: stopped by the user after 0 of 3 trials" in captured.out
    store = RunStore(tmp_path / "runs.db")
    assert store.sweep(1)["status"] == "stopped"
    assert [(run.id, run.status) for run in store.list_runs()] == [(1, "stopped")]


def test_a_stopped_sweep_exits_130_with_json_too(tmp_path, monkeypatch, capsys):
    """``--json`` printed the stopped sweep and exited 0, as if it had completed."""
    import json

    _ctrl_c_at_the_first_step(monkeypatch)
    code = main(["sweep", "mlp-tabular", "-d", "iris", "--epochs", "3", "--param",
                 "lr=0.001,0.01,0.1", "--cfg", "log_every=1", "--home", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == 130, captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["status"] == "stopped"


def test_the_stop_message_numbers_the_trial_as_the_table_does(tmp_path, monkeypatch, capsys):
    """The table numbers trials from 0 (as --json and the failed-trial lines do); the stop
    message said "trial 1 (run 1)" of the trial the table lists as 0."""
    _ctrl_c_at_the_first_step(monkeypatch)
    assert main(["sweep", "mlp-tabular", "-d", "iris", "--epochs", "3", "--param",
                 "lr=0.001,0.01,0.1", "--cfg", "log_every=1", "--home", str(tmp_path)]) == 130
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["trial", "run_id", "status"]
    stopped = [line.split() for line in lines[1:] if line.split()[2:3] == ["stopped"]]
    assert [row[:2] for row in stopped] == [["0", "1"]]
    assert ("sweep 1 stopped: stopped by the user after 0 of 3 trials; trial 0 (run 1) was "
            "stopped during training, its results so far kept") in lines
