"""``layerloom runs`` names each run as the app does, so three runs of one design read apart:
``seed-cnn #3 · learning rate 0.001 · batch size 32`` (runtime/runnames.py), whatever --status
keeps."""

from __future__ import annotations

import json
import re

from layerloom.cli import main
from layerloom.runtime import RunStore

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "seed-cnn", "nodes": [],
         "edges": []}


def _three_runs(home):
    store = RunStore(home / "runs.db")
    for lr, batch in [(0.001, 64), (0.01, 64), (0.001, 32)]:
        run = store.create_run("seed-cnn", GRAPH, {"source": "mnist-5k"},
                               {"lr": lr, "batch_size": batch, "epochs": 2})
        store.set_status(run, "completed", "finished 2 epochs")
    store.set_status(2, "stopped", "stopped by the user")
    store.close()


def test_the_runs_list_shows_a_name_for_each_run_of_one_design(tmp_path, capsys):
    _three_runs(tmp_path)
    assert main(["runs", "--home", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "status"]
    # columns are two spaces or more apart; a name's words one
    assert [re.split(r"\s{2,}", line)[:3] for line in lines[1:]] == [
        ["3", "seed-cnn #3 · learning rate 0.001 · batch size 32", "completed"],
        ["2", "seed-cnn #2 · learning rate 0.01 · batch size 64", "stopped"],
        ["1", "seed-cnn #1 · learning rate 0.001 · batch size 64", "completed"]]
    # named over every run: filtered by status, run 1 keeps its name
    assert main(["runs", "--status", "completed", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "seed-cnn #1 · learning rate 0.001 · batch size 64" in out and "#2" not in out


def test_runs_json_keeps_the_recorded_name_and_adds_the_display_name(tmp_path, capsys):
    _three_runs(tmp_path)
    assert main(["runs", "--json", "--home", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["seed-cnn"] * 3
    assert [r["display_name"] for r in rows] == [
        "seed-cnn #3 · learning rate 0.001 · batch size 32",
        "seed-cnn #2 · learning rate 0.01 · batch size 64",
        "seed-cnn #1 · learning rate 0.001 · batch size 64"]


def test_the_runs_list_names_an_uploaded_file_not_where_the_app_keeps_it(tmp_path, capsys):
    store = RunStore(tmp_path / "runs.db")
    kept = str(tmp_path / "uploads" / "7974983fb531" / "small.csv")
    store.create_run("mlp-tabular", GRAPH, {"source": kept}, {"epochs": 2})
    store.close()
    assert main(["runs", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "small.csv" in out and "uploads" not in out
    assert main(["runs", "--json", "--home", str(tmp_path)]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["dataset"] == kept  # scripts get the path the run loads
