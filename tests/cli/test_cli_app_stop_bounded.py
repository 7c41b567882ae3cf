"""Ctrl+C on ``layerloom app`` ends it in bounded time: the launcher passed the signal on to its
server and then waited for it without limit, and a Streamlit server stopping while a page's run
still imported took half a minute (Ctrl+C seemed to do nothing). A server that has not ended a
few seconds after it was told is now terminated, then killed, each said in a ``note:`` line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# A server that ignores SIGINT and SIGTERM (as one busy importing may seem to): it says when it
# ignores them, and ends by itself after two minutes at most.
STUBBORN = textwrap.dedent("""
    import pathlib, signal, sys, time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pathlib.Path(sys.argv[1]).write_text("ignoring")
    time.sleep(120)
""")

# The launcher: run_server with that server, Ctrl+C pressed once it is up.
LAUNCHER = textwrap.dedent("""
    import os, signal, sys
    from layerloom.cli import app
    flag = sys.argv[2]
    code = app.run_server([sys.executable, "-c", sys.argv[1], flag],
                          ready=lambda: os.path.exists(flag), poll=0.1, grace=1.0,
                          on_ready=lambda: signal.raise_signal(signal.SIGINT))
    print(f"exit {code}", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_server_that_does_not_stop_is_ended_and_said(tmp_path):
    done = subprocess.run([sys.executable, "-c", LAUNCHER, STUBBORN, str(tmp_path / "up")],
                          capture_output=True, text=True, timeout=60)  # it waited for ever
    assert done.stdout == "exit 0\n"  # Ctrl+C: as before, a stop asked for
    assert done.stderr == (
        "note: the designer's server had not stopped 1 s after it was told to; ending it\n"
        "note: the designer's server did not end when told to either; killed it\n")
