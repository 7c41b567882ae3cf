"""A run id that names no run says which runs the database holds, so that a mistyped id, or a
database other than the one trained in (another $LAYERLOOM_HOME), shows at once; `export`
named the run twice ("run 12: no run 12 in ..."), and an id beyond SQLite's integers was "Python
int too large to convert to SQLite INTEGER"."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore


@pytest.fixture
def home(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    for _ in range(3):
        store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    return tmp_path


@pytest.mark.parametrize("command", [["runs", "show"], ["resume"], ["export"]])
def test_an_id_that_names_no_run_lists_the_runs_there(home, capsys, command):
    extra = ["-f", "onnx", "-o", str(home / "m.onnx")] if command == ["export"] else []
    assert main([*command, "12", *extra, "--home", str(home)]) == 1
    assert capsys.readouterr().err == (
        f"error: no run 12 in {home / 'runs.db'} (its runs: 1, 2, 3)\n")


def test_an_id_beyond_the_databases_integers_is_no_run_either(home, capsys):
    assert main(["export", "9" * 25, "-f", "onnx", "--home", str(home)]) == 1
    assert capsys.readouterr().err == (
        f"error: no run {'9' * 25} in {home / 'runs.db'} (its runs: 1, 2, 3)\n")


def test_many_runs_are_counted_not_listed(home, capsys):
    store = RunStore(home / "runs.db")
    for _ in range(5):
        store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    assert main(["runs", "show", "40", "--home", str(home)]) == 1
    assert capsys.readouterr().err == (
        f"error: no run 40 in {home / 'runs.db'} (its runs: 8 from 1 to 8)\n")
