"""``--home`` (or ``$LAYERLOOM_HOME``) naming a file, or a folder under one: every command that
reads the runs database says so in one line and exits 2, as for any file that cannot be
opened. It said "cannot make the folder afile for the runs database (File exists)", which reads
as though a folder were there, with a second line pointing at ``--debug`` (runs, resume,
explain), or exited 1 (train)."""

from __future__ import annotations

import pytest

from layerloom.cli import main

COMMANDS = [
    ["runs"],
    ["runs", "show", "1"],
    ["resume", "1"],
    ["train", "mlp-tabular", "-d", "iris", "--epochs", "1"],
    ["sweep", "mlp-tabular", "-d", "iris", "--epochs", "1", "--param", "lr=0.01,0.1"],
    ["export", "1", "-f", "safetensors", "-o", "w.safetensors"],
    ["explain", "1", "--input", "digit.png"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("home", ["afile", "afile/sub"])
def test_a_home_that_is_a_file_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, command,
                                                      home):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--home", home]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot use {home} as LayerLoom's home: afile is a file, not a folder; "
        f"set LAYERLOOM_HOME (or --home) to a folder you can write\n")


def test_the_environment_variable_is_named_as_given(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "afile"))
    assert main(["runs"]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot use {tmp_path / 'afile'} as LayerLoom's home: {tmp_path / 'afile'} is a "
        f"file, not a folder; set LAYERLOOM_HOME (or --home) to a folder you can write\n")
