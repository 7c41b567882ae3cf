"""A home folder that exists but cannot be written (a read-only disk, another user's folder)
and holds no runs database yet: the commands that record or list runs name the folder and why,
one line, exit 2. They said the database "cannot be used (unable to open database file)" and to
"move it aside", when there was no database to move. A read-only database that is there keeps
its own message (runs can be listed, not recorded)."""

from __future__ import annotations

import os

import pytest

from layerloom.cli import common, main
from layerloom.runtime import store as store_module


@pytest.fixture
def read_only_home(tmp_path, monkeypatch):
    """``tmp_path/home`` as a read-only folder is for a user who is not root: sqlite cannot
    make runs.db there, and os.access says it cannot be written."""
    home = tmp_path / "home"
    home.mkdir()
    real_access, real_connect = os.access, store_module.sqlite3.connect

    def access(path, mode):
        return False if str(path) == str(home) and mode & os.W_OK else real_access(path, mode)

    def connect(target, *args, **kwargs):
        if str(target).startswith(str(home)) or str(home) in str(target):
            raise store_module.sqlite3.OperationalError("unable to open database file")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(common.os, "access", access)
    monkeypatch.setattr(store_module.sqlite3, "connect", connect)
    return home


@pytest.mark.parametrize("command", [
    ["runs"],
    ["train", "mlp-tabular", "-d", "iris", "--epochs", "1"],
])
def test_a_read_only_home_without_runs_is_named(read_only_home, capsys, command):
    assert main([*command, "--home", str(read_only_home)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot use {read_only_home} as LayerLoom's home: it cannot be written; set "
        f"LAYERLOOM_HOME (or --home) to a folder you can write\n")
