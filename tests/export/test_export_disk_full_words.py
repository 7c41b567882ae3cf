"""An export that cannot be written: a full disk, a file-size limit, a read-only folder. Each
format stops with one ``error:`` line naming the file the user asked for (never the hidden
scratch folder it is written in first) and what to do, exit 2 as for any file that cannot be
written, and leaves nothing behind. A TorchScript file met with a full disk aborted Python
('terminate called after throwing an instance of c10::Error', a C++ trace, the scratch folder
left); ONNX and safetensors said 'export failed: OSError: [Errno 28]'; a read-only folder was
named as '.layerloom-export-…: Read-only file system'.

A file-size limit (``RLIMIT_FSIZE``, ``ulimit -f``; Python ignores its signal) makes writes past
it fail as a full disk does, without filling one."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys

import pytest

from layerloom.cli import main
from layerloom.graph.io import save_graph
from layerloom.graph.templates import load_template

LIMIT = 60_000  # bytes: seed-cnn's weights are 140 kB

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from layerloom.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "cnn.json"
    save_graph(load_template("seed-cnn"), path)
    return path


@pytest.mark.parametrize("fmt, name", [("onnx", "cnn.onnx"), ("torchscript", "cnn.pt"),
                                       ("safetensors", "cnn.safetensors"),
                                       ("python", "cnn_model.py"), ("bundle", "cnn.zip")])
def test_a_file_too_large_to_write_is_said_of_that_file(tmp_path, design, fmt, name):
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    if hard != resource.RLIM_INFINITY and hard < LIMIT:
        pytest.skip("this machine's file size limit is lower than the one set here")
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", LIMITED.format(limit=LIMIT), "export",
                           str(design), "-f", fmt, "-o", str(out / name)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.splitlines()[0].startswith(
        f"error: {out / name}: File too large: it is larger than this process may write (its "
        f"file size limit, ulimit -f)"), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "terminate" not in done.stderr
    assert list(out.iterdir()) == []


def test_a_read_only_folder_is_named_not_the_scratch_folder(tmp_path, design, monkeypatch,
                                                            capsys):
    """As a read-only mount answers (root, whom permission bits do not stop, included)."""
    real = os.mkdir

    def mkdir(path, mode=0o777, *args, **kwargs):
        if os.path.basename(os.fspath(path)).startswith(".layerloom-"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    out = tmp_path / "ro"
    out.mkdir()
    assert main(["export", str(design), "-f", "onnx", "-o", str(out / "cnn.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"error: {out}: it is on a read-only file system (a read-only disk or mount), where "
        f"nothing can be written; give a path in a folder you can write"), err
    assert ".layerloom-export-" not in err
