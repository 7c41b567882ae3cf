"""A server stopped while a page's run is still under way (a first run still importing torch)
ends without a traceback on the user's terminal, with the server's exit code.

The run is a daemon thread under Streamlit's name for a session's run. Left to Python's
shutdown, it went on once the threads' shutdown had begun, and an import registering an exit
handler for its threads then (joblib's, through concurrent.futures) failed: "can't register atexit after shutdown", printed by Streamlit with its
traceback. Here the thread does the same deterministically: it waits until the process's exit
handlers run (after the threads' shutdown began), then registers one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, time

    from streamlit.web import cli

    from layerloom.runtime import address_limit, zygote
    from layerloom.ui import serve

    shutting_down = threading.Event()

    def page_run():  # still importing when the server stops
        shutting_down.wait()
        try:  # what importing concurrent.futures' threads does (joblib's import)
            threading._register_atexit(print)
        except RuntimeError as exc:
            print("Uncaught app execution:", exc, file=sys.stderr, flush=True)

    def server():  # the server starts a session's run, then is stopped
        threading.Thread(target=page_run, name=serve.PAGE_RUN_THREAD, daemon=True).start()
        raise SystemExit(3)

    def at_exit():
        shutting_down.set()
        time.sleep(1.0)  # the run goes on meanwhile, as a daemon does at shutdown

    atexit.register(at_exit)
    cli.main = server
    address_limit.refusal = lambda: None
    zygote.start = lambda *a, **k: None
    serve.PAGE_RUNS_WAIT = 0.5
    print("serving", flush=True)
    sys.exit(serve.main([]))
""")


def test_a_run_left_going_when_the_server_stops_prints_no_traceback():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert "serving" in done.stdout  # output before the end is flushed, not lost
    assert "atexit" not in done.stderr, done.stderr
    assert "Uncaught app execution" not in done.stderr
    assert done.returncode == 3  # the server's own exit code


def test_runs_that_end_in_time_leave_the_normal_shutdown(monkeypatch):
    import threading

    from layerloom.ui import serve

    ended = threading.Event()
    run = threading.Thread(target=ended.wait, args=(5,), name=serve.PAGE_RUN_THREAD,
                           daemon=True)
    run.start()
    threading.Timer(0.1, ended.set).start()
    exited = []
    monkeypatch.setattr(serve.os, "_exit", exited.append)
    assert serve.end_after_pages(0, wait=30) == 0
    assert not run.is_alive() and exited == []
