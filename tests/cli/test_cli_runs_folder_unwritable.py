"""A home whose ``runs/`` folder cannot take a new run's folder (read-only, or a file in its
place, as here, which stops root too): ``train`` and ``sweep`` say so in one line, exit 2, and
record nothing. The run was recorded first and kept as ``running`` for ever (``layerloom runs``
listed a run at epoch 0 that nothing trained), and the sweep's row stayed ``running`` too."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from layerloom.cli import main

pytestmark = pytest.mark.slow  # the CLI trains, exports or imports torch in each


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    assert main(["train", "mlp-tabular", "-d", "iris", "--epochs", "1", "--home", str(home)]) == 0
    shutil.rmtree(home / "runs")
    (home / "runs").write_text("not a folder\n")
    return home


def _rows(home, table):
    with sqlite3.connect(home / "runs.db") as db:
        return [tuple(row) for row in db.execute(f"SELECT id, status FROM {table} ORDER BY id")]


def test_train_records_no_run_it_cannot_keep(home, capsys):
    capsys.readouterr()
    assert main(["train", "mlp-tabular", "-d", "iris", "--epochs", "1", "--home", str(home)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {home / 'runs'}") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert _rows(home, "runs") == [(1, "completed")]


def test_sweep_records_no_run_and_ends_failed(home, capsys):
    capsys.readouterr()
    assert main(["sweep", "mlp-tabular", "-d", "iris", "--epochs", "1", "--param",
                 "lr=1e-3,1e-2", "--trials", "2", "--home", str(home)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {home / 'runs'}") and err.count("\n") == 1, err
    assert _rows(home, "runs") == [(1, "completed")]
    assert [status for _, status in _rows(home, "sweeps")] == ["failed"]
