"""A home deeper than SQLite can open (a path of more than 512 bytes to ``runs.db``): the
commands that record or list runs say so and how to get past it, exit 2 (a file that cannot be
opened). They said the database "cannot be used (unable to open database file)" and to move it
aside, when there was no database to move."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("command", [["runs"], ["runs", "show", "1"]])
def test_a_home_too_deep_for_sqlite_is_said_with_the_fix(tmp_path, capsys, command):
    home = tmp_path.joinpath(*["d" * 200] * 3)  # each name allowed; the whole over 512 bytes
    home.mkdir(parents=True)
    assert main([*command, "--home", str(home)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the runs database {home / 'runs.db'} cannot be opened: its "
                          f"path is ")
    assert ("bytes long, and SQLite opens files by paths of at most 512 bytes; set "
            "LAYERLOOM_HOME (or --home) to a folder with a shorter path\n") in err
    assert "move it aside" not in err
