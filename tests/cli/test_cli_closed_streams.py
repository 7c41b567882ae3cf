"""A command started with its stdout or stderr closed (``layerloom validate g.json >&-``, or
``2>&-`` in a script): Python's ``sys.stdout`` (``sys.stderr``) is then None, and every command
failed on the first line it wrote, "error: 'NoneType' object has no attribute 'write'" (written
on stdout where stderr was the closed one), exit 1 whatever it had found. The closed stream's
output is now discarded, as for ``>/dev/null``, and the exit code is the command's own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from layerloom.cli import main


@pytest.fixture
def designs(tmp_path):
    assert main(["new", "seed-cnn", "-o", str(tmp_path / "good.json")]) == 0
    (tmp_path / "bad.json").write_text('{"format": 1\n')
    return tmp_path


def _closed(closing: str, *args: str):
    """The CLI run by sh with ``closing`` (``>&-``, ``2>&-``) on its command line."""
    return subprocess.run(["sh", "-c", f'"$@" {closing}', "sh", sys.executable, "-P", "-m",
                           "layerloom", *args], capture_output=True, text=True, timeout=120)


def test_stdout_closed(designs):
    done = _closed(">&-", "validate", str(designs / "good.json"))
    assert (done.returncode, done.stderr) == (0, "")
    done = _closed(">&-", "validate", str(designs / "bad.json"))
    assert done.returncode == 2
    assert done.stderr == (f"error: {designs / 'bad.json'}: line 2, column 1: invalid JSON: "
                           f"Expecting ',' delimiter\n")


def test_stderr_closed(designs):
    done = _closed("2>&-", "validate", str(designs / "bad.json"))
    assert (done.returncode, done.stdout) == (2, "")
    done = _closed("2>&-", "validate", str(designs / "good.json"))
    assert (done.returncode, done.stdout) == (0, f"{designs / 'good.json'}: valid (0 warning(s))\n")
