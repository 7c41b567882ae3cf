"""Ctrl+C (or SIGTERM, SIGHUP) early in an ONNX export made Python abort: it landed while onnx
was being imported, on the export's way, and a KeyboardInterrupt half-way through the import of
onnx's protobuf extension leaves it broken ('Fatal Python error: Aborted', the temporary folder
left behind). The libraries a format needs are now imported before any file is made, and the
CLI holds stop signals back until that import is done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from layerloom.cli import signals

# Whether onnx and onnxruntime are imported when the export makes its temporary folder.
SCRIPT = """
import os, sys
real, seen = os.mkdir, []

def mkdir(path, *args, **kwargs):
    if os.path.basename(os.fspath(path)).startswith(".layerloom-export-"):
        seen.append(all(name in sys.modules for name in ("onnx", "onnxruntime")))
    return real(path, *args, **kwargs)

os.mkdir = mkdir
from layerloom.graph.export import export_model
from layerloom.graph.templates import load_template
export_model(load_template("mlp-tabular"), "onnx", sys.argv[1])
print(seen)
"""


def test_the_libraries_of_a_format_are_imported_before_any_file_is_made(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "net.onnx")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[True]"


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_held_acts_once_the_block_is_done(sig, code):
    done = []
    with signals.as_ctrl_c(), pytest.raises(KeyboardInterrupt):
        with signals.held():
            os.kill(os.getpid(), sig)
            time.sleep(0.05)  # where its handler would have run
            done.append("the block went on to its end")
    assert done == ["the block went on to its end"]
    assert signals.exit_code() == code
