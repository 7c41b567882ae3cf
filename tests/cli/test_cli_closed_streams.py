"""A command started with its stdout or stderr closed (``layerloom validate g.json >&-``, or
``2>&-`` in a script): Python's ``sys.stdout`` (``sys.stderr``) is then None, and every command
failed on the first line it wrote, "error: 'NoneType' object has no attribute 'write'" (written
on stdout where stderr was the closed one), exit 1 whatever it had found. The closed stream's
output is now discarded, as for ``>/dev/null``, and the exit code is the command's own. A
stream that fails otherwise (``codegen g.json > model.py`` on a full disk) is named in the error:
it said '[Errno 28] No space left on device' and to run with --debug for the traceback."""

from __future__ import annotations

import os
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
    assert done.stderr == (f"error: {designs / 'bad.json'}: line 1, column 13: invalid JSON: "
                           f"the file ends here, before its JSON is complete (Expecting ',' "
                           f"delimiter); it seems cut short (saved or copied only in part?): "
                           f"open a complete copy, or finish it\n")


def test_stderr_closed(designs):
    done = _closed("2>&-", "validate", str(designs / "bad.json"))
    assert (done.returncode, done.stdout) == (2, "")
    done = _closed("2>&-", "validate", str(designs / "good.json"))
    assert (done.returncode, done.stdout) == (0, f"{designs / 'good.json'}: valid (0 warning(s))\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_under_stdout_is_named(designs):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-P", "-m", "layerloom", "codegen",
                               str(designs / "good.json")], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("error: standard output: No space left on device: its disk is full; "
                           "free some space there, or give a path on another disk\n")
