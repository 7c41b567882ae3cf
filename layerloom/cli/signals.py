"""SIGTERM and SIGHUP end a command as Ctrl+C does.

``kill PID``, a shutdown (SIGTERM) and a closed terminal (SIGHUP) ended a command on the spot,
by the signal's default: an export left its hidden temporary folder beside the file it was
writing, and a run being trained stayed ``running`` in the database until found dead, then
``failed``. While a command runs, both now raise KeyboardInterrupt where Ctrl+C would, so the
command's own clean-up runs (temporary files deleted, the old files kept), and ``train``,
``resume`` and ``sweep`` install :func:`on_stop_signals` to stop at the next batch instead, the
run kept and resumable. A SIGHUP that is ignored (``nohup layerloom train …``) stays ignored.

A command stopped by a signal exits ``128 + its number``, as a shell reports it: 130 for Ctrl+C,
143 for SIGTERM, 129 for SIGHUP (:func:`exit_code`).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NAMES = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM",
         signal.SIGHUP: "SIGHUP (the terminal was closed)"}

_received: list[int] = []  # the stop signals met by this command, in order


def exit_code() -> int:
    """The exit code of a command that a signal stopped: ``128 +`` the first stop signal it
    met (Ctrl+C, 130, when it met none: a run stopped from elsewhere ends as Ctrl+C's does)."""
    return 128 + (_received[0] if _received else signal.SIGINT)


def stopped_by() -> str:
    """The first stop signal met, in words (``Ctrl+C``, ``SIGTERM``…)."""
    return NAMES[signal.Signals(_received[0] if _received else signal.SIGINT)]


def note(signum: int) -> None:
    """Record ``signum``; after a SIGHUP, point the standard streams that were the terminal at
    /dev/null: writing to a closed terminal fails (EIO), and the command still has to stop
    cleanly, record its run and say so to whatever else reads its output."""
    _received.append(signum)
    if signum == signal.SIGHUP:
        detach_terminal()


def _interrupt(signum, frame) -> None:
    note(signum)
    raise KeyboardInterrupt


@contextmanager
def _handling(sigs, handler, *, always=(), skip=(signal.SIG_IGN,)) -> Iterator[dict]:
    """``handler`` set for each of ``sigs`` whose handler is not one of ``skip`` (those in
    ``always`` whatever it is) while the block runs, the handlers before put back after;
    yields those handlers, by signal. Nothing is changed outside the main thread, where Python
    cannot handle signals."""
    previous = {}
    try:
        for sig in sigs:
            if sig in always or signal.getsignal(sig) not in skip:
                previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield previous
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def as_ctrl_c() -> Iterator[None]:
    """While the command runs: SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl+C does (unless
    ignored when the command started); their handlers before are put back after. Nothing is
    changed outside the main thread, where Python cannot handle signals."""
    _received.clear()
    with _handling((signal.SIGTERM, signal.SIGHUP), _interrupt):
        yield


@contextmanager
def on_stop_signals(stop: Callable[[], None], is_stopping: Callable[[], bool],
                    said: str | None) -> Iterator[None]:
    """Ctrl+C, SIGTERM and SIGHUP call ``stop`` (a run stops at its next batch boundary) and
    print ``said`` with the signal's name (nothing where it is None: another process says
    it); once stopping, a second Ctrl+C quits at once
    (KeyboardInterrupt) while a second SIGTERM or SIGHUP changes nothing (a closed terminal's
    shell and the kernel each send one; SIGKILL is there to force it)."""
    def handler(signum, frame):
        stopping = is_stopping()
        if not stopping:
            note(signum)
        if stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if stopping:
            return
        stop()
        if said is None:
            return
        again = " (Ctrl-C again to quit now)" if signum == signal.SIGINT else ""
        lead = "" if signum == signal.SIGINT else f"{NAMES[signum]}: "
        try:
            print(f"\n{lead}{said}{again}…", file=sys.stderr, flush=True)
        except (OSError, ValueError):  # no terminal to say it on
            pass

    with _handling(STOP_SIGNALS, handler, always=(signal.SIGINT,)):
        yield


@contextmanager
def held() -> Iterator[None]:
    """Ctrl+C, SIGTERM and SIGHUP wait until the block is done, then act as they would have:
    for the import of a C extension (onnx's protobuf), which a KeyboardInterrupt half-way
    leaves broken, so that Python aborts ('Fatal Python error: Aborted')."""
    pending: list[int] = []
    try:
        with _handling(STOP_SIGNALS, lambda signum, frame: pending.append(signum),
                       skip=(signal.SIG_IGN, None)) as previous:
            yield
    finally:
        if pending:
            handler = previous[pending[0]]
            if callable(handler):
                handler(pending[0], None)
            else:  # the default: end as the signal ends a process
                signal.raise_signal(pending[0])


def detach_terminal() -> None:
    """Point the standard streams that are a terminal at /dev/null: for a terminal that is gone
    (its window closed), where every write fails with EIO."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)
