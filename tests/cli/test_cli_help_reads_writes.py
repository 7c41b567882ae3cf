"""Every command's ``--help`` ends saying what it reads and what it writes: a script's author
learns there that ``train`` records into runs.db under the home, that ``import-torch`` runs the
model's file as Python, and which commands never write over a file without ``--force``. Twelve
of the sixteen commands said neither."""

from __future__ import annotations

import subprocess
import sys

import pytest

from layerloom.cli import build_parser, main

COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


def _help(capsys, command: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps the lines


@pytest.mark.parametrize("command", COMMANDS)
def test_each_commands_help_says_what_it_reads_and_writes(capsys, command):
    said = _help(capsys, command)
    assert " writes " in said or "Writes " in said, said
    assert any(word in said for word in ("Reads ", "Runs the model's", "reads ")), said


@pytest.mark.parametrize("command, words", [
    ("train", "writes the run (its settings and metrics into runs.db, its checkpoints under "
              "runs/ID/) into the home ($LAYERLOOM_HOME, ~/.layerloom unless set; --home DIR), "
              "nothing with --no-record."),
    ("import-torch", "Runs the model's Python file or module as Python runs an import (its code "
                     "runs: import only code you trust)"),
    ("import-onnx", "Reads the ONNX file as data (nothing in it runs as Python)"),
    ("validate", "writes nothing: problems go to stderr, exit 1."),
    ("export", "never over an existing file without --force, and loads it back to check it."),
])
def test_the_words_for_scripts(capsys, command, words):
    assert words in _help(capsys, command)


def test_help_from_the_shell():
    done = subprocess.run([sys.executable, "-m", "layerloom", "runs", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert "Reads runs.db in the home" in " ".join(done.stdout.split())
