"""``python -m layerloom.ui.serve [streamlit options]``: ``streamlit run ui/app.py``, made safe
for the ``ui/pages/`` package.

Streamlit treats a ``pages/`` folder beside the main script as old-style page scripts until the
script's first ``st.navigation`` call says otherwise, so a server's very first request for
``/designer`` would run ``ui/pages/designer.py`` as a script (and fail on its package imports).
Clearing that flag before the server starts, in its own process, avoids it.

Two Streamlit defaults cost a watched run dearly, so they are off unless the command line sets
them (options given later win): ``runner.postScriptGC`` runs a full garbage collection after
every script run, which in a server holding torch is a quarter of a CPU second, once a second
while the Train page's live panel reruns; ``server.fileWatcherType`` polls the app's sources for
edits, which users of the app never make (a developer can pass ``--server.fileWatcherType auto``).

``server.showEmailPrompt`` is off: out of headless mode (``layerloom app --browser``) Streamlit
otherwise asks for an e-mail address on the terminal the first time it runs on a machine, before
it serves; the designer waited on that prompt, and with no terminal the server ended.

Streamlit's lookup of the machine's public address (checkip.amazonaws.com, for an "External URL"
line where the server listens on all interfaces) is left out: the app asks nothing of other
machines, and offline the lookup ended in a warning after two timeouts (see ``no_external_ip``).
Nor does it advertise Streamlit's tools for developers on the terminal of ``--browser``
("Install the official Streamlit skills by running streamlit skills"): LayerLoom's users write
no Streamlit app.

``runner.fastReruns`` is off too: with it, a rerun asked for while a script run is under way
starts a second run of the same session at once, beside the first until that one reaches a
Streamlit call and stops. The two then share the session's state, each under a lock of its own:
under load Streamlit's own state raised "dictionary changed size during iteration" (a run lost)
and the designer's state could be changed by both (a canvas change refused as made on a design
no longer known). Off, the running script stops at its next Streamlit call and the rerun follows
in the same thread: one run of a session at a time, with requests that arrive meanwhile merged
(the canvas sends every unanswered event each time, so a merge loses none).

Beside the server it starts a warm worker (``layerloom.runtime.zygote``) that has imported torch
and the runtime already and forks each run the Train page starts: the first point of a run comes
in about a second instead of many (``benchmarks/start_bench.py``). ``LAYERLOOM_WARM_WORKER=0``
leaves it out. With the warm worker started at normal priority, the server lowers its own
(``nice`` +5, ``LAYERLOOM_SERVER_NICE``): the reruns of many busy editors then yield the CPU to
the runs they watch (``benchmarks/run_beside_editors_bench.py``).

When the server stops (Ctrl+C on ``layerloom app``), a page's run may still be under way in
Streamlit's script thread, most often still importing torch and scikit-learn on a page's first
run. That thread is a daemon: left to Python's shutdown, an import landing after the exit
handlers ran failed ("can't register atexit after shutdown", from joblib) and Streamlit printed
the whole traceback on the user's terminal. The server waits a moment for such runs
(``PAGE_RUNS_WAIT``), then ends at once where one is still going, its output flushed (see
``end_after_pages``); the warm worker ends with the server (it is told by the kernel).

On Linux with autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``, on in most
distributions) a process's ``nice`` only weighs against the processes of its own session: the
scheduler first shares the CPU between sessions. Each run the warm worker forks leads a session
of its own; ``layerloom app`` starts the server as the leader of another, and the server lowers
that session's weight too (``/proc/self/autogroup``), so the editors' reruns yield to the runs
there as well, and the run's share beside the browsers is its session's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
# client.toolbarMode "minimal": no Deploy button or developer menu for the app's users (the
# page's CSS hides the "running" figure, which has no option).
DEFAULTS = ("--runner.postScriptGC", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "minimal", "--runner.fastReruns", "false",
            "--server.showEmailPrompt", "false")
# How much the server's priority is lowered beside the warm worker's runs (see lower_priority).
SERVER_NICE = 5


def streamlit_argv(given: list[str]) -> list[str]:
    """``streamlit run ui/app.py``, LayerLoom's defaults, then the options given (which win)."""
    return ["streamlit", "run", str(APP), *DEFAULTS, *given]


def no_external_ip() -> None:
    """Keep Streamlit from asking checkip.amazonaws.com for this machine's public address: it
    does so as a server on all interfaces (``--host 0.0.0.0``) starts, to print an "External
    URL" (one a NAT seldom lets in), and for a browser's origin it does not know. The local
    and network addresses are still printed and allowed."""
    from streamlit import net_util

    net_util.get_external_ip = lambda: None


def no_skills_advert() -> None:
    """Keep Streamlit from printing its advert for agent skills (Streamlit's developer tools)
    as a server out of headless mode starts: it checks whether they are installed, and says so
    when not. Streamlit releases without it have nothing to silence."""
    try:
        from streamlit.web import skills
    except ImportError:
        return
    if hasattr(skills, "are_skills_installed"):
        skills.are_skills_installed = lambda: True


def lower_priority(nice: int | None = None) -> int:
    """Lower this server's CPU priority by ``nice`` (default ``$LAYERLOOM_SERVER_NICE``, else
    SERVER_NICE), so that the reruns of busy editors yield to training runs; the increment
    applied. Called once the warm worker is started: it, and so every run it forks, keeps the
    normal priority (a run spawned by the server itself would inherit the lower one)."""
    if nice is None:
        try:
            nice = int(os.environ.get("LAYERLOOM_SERVER_NICE", SERVER_NICE))
        except ValueError:
            nice = SERVER_NICE
    if nice <= 0 or not hasattr(os, "nice"):
        return 0
    try:
        os.nice(nice)
    except OSError:
        return 0
    lower_session(nice)
    return nice


def lower_session(nice: int, autogroup: Path = Path("/proc/self/autogroup")) -> bool:
    """Lower the weight of this process's session by ``nice`` under autogroup scheduling, when
    the process leads that session (as ``layerloom app`` starts the server: never the session of
    the terminal it was typed in). True when done; False where there is no autogroup, the
    process does not lead its session, or the kernel refuses."""
    try:
        if os.getsid(0) != os.getpid() or not autogroup.exists():
            return False
        text = autogroup.read_text()  # "/autogroup-123 nice 0"
        now = int(text.split("nice")[-1])
        autogroup.write_text(str(min(19, max(now, now + nice))))
        return int(autogroup.read_text().split("nice")[-1]) > now
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    from layerloom.runtime import address_limit

    too_low = address_limit.refusal()  # the pages load torch, which would end it from C
    if too_low:
        print(f"error: {too_low}", file=sys.stderr)
        return 1
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    from layerloom.runtime import zygote

    PagesManager.uses_pages_directory = False  # ui/pages/ holds modules, not page scripts
    no_external_ip()
    no_skills_advert()
    if zygote.start() is not None:  # a warm worker: runs start in a second
        lower_priority()
    sys.argv = streamlit_argv(sys.argv[1:] if argv is None else argv)
    try:
        cli.main()
    except SystemExit as exc:
        return end_after_pages(int(exc.code or 0))
    return end_after_pages(0)


# Seconds a stopped server gives the page runs still under way (within the 5 s the launcher
# gives the whole server)
PAGE_RUNS_WAIT = 2.0
PAGE_RUN_THREAD = "ScriptRunner.scriptThread"  # the name Streamlit gives a session's run


def end_after_pages(code: int, wait: float = PAGE_RUNS_WAIT) -> int:
    """``code``, once no page run is left in Streamlit's script threads. Those that have not
    ended ``wait`` seconds on (a first run still importing torch) would meet Python's shutdown
    half-way and print a traceback on the terminal, so the process then ends at once with
    ``code``, its logs and output flushed, skipping only the shutdown those runs would fail in."""
    runs = [t for t in threading.enumerate()
            if t.name == PAGE_RUN_THREAD and t is not threading.current_thread()]
    until = time.monotonic() + wait
    for run in runs:
        run.join(timeout=max(0.0, until - time.monotonic()))
    if not any(run.is_alive() for run in runs):
        return code
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
