"""A second Ctrl+C (the first stopped a run and said "Ctrl-C again to quit now") that lands
once the command has finished, while Python shuts down, is no traceback: it came out as
"Exception ignored in atexit callback ... KeyboardInterrupt" from torch's finalizers."""

from __future__ import annotations

import subprocess
import sys

# The console script's call (main() reads sys.argv), then Ctrl+C during the interpreter's exit.
SCRIPT = """
import atexit, os, signal, sys, time
atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.2)))
sys.argv = ["layerloom", "templates"]
from layerloom.cli import main
sys.exit(main())
"""


def test_ctrl_c_while_exiting_is_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert "seed-cnn" in proc.stdout
    assert proc.stderr == "" and proc.returncode == 0
