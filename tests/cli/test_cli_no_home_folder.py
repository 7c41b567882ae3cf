"""Where HOME is not set and the user has no entry in the password database (a container run
as another uid, a service account), a command that keeps runs says there is no folder for
LayerLoom's home and to set LAYERLOOM_HOME, exit 2, as for a home that cannot be used. It said
pathlib's "Could not determine home directory.", with the hint to see a traceback, exit 1.
Commands that keep no runs work as ever."""

from __future__ import annotations

import json
import pwd

import pytest

from layerloom.cli import main


@pytest.fixture
def no_home(monkeypatch):
    def unknown(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("LAYERLOOM_HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)


@pytest.mark.parametrize("command", [["runs"], ["runs", "show", "1"]])
def test_a_command_that_keeps_runs_says_to_set_a_home(no_home, capsys, command):
    assert main(command) == 2
    assert capsys.readouterr().err == (
        "error: there is no folder for LayerLoom's home (~/.layerloom): HOME is not set, and "
        "this user has no home folder; set LAYERLOOM_HOME (or give --home DIR) to a folder you "
        "can write\n")


def test_with_a_home_named_it_works(no_home, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_command_that_keeps_no_runs_works(no_home, capsys):
    assert main(["validate", "seed-cnn"]) == 0
    assert capsys.readouterr().out == "seed-cnn: valid (0 warning(s))\n"
