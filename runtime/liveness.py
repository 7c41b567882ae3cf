"""Whether a run's process is still there, and why it ended where it did not say: what the
runs database (``store.py``) and the process supervisor (``process.py``) ask of a pid, read
from the operating system (``kill(pid, 0)``, ``/proc``), never from the database.

>>> import os
>>> pid_alive(os.getpid()), died_reason(7, -9, False)[:40]
(True, 'its process was killed by SIGKILL (often')
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import Run


def run_dead(run: Run, now: float | None = None, stale_after: float = 3600.0) -> bool:
    """Whether an active run's process is gone: its pid exists no more; or its heartbeat is a
    minute old and the pid now belongs to a program that is not LayerLoom (ids are reused after
    a restart; a notebook training live keeps its heartbeat fresh); or it is older than
    ``stale_after`` seconds."""
    if run.pid is None:
        return False
    age = (now or time.time()) - (run.heartbeat or run.started or run.created)
    if not pid_alive(run.pid):
        return True
    return age > stale_after or (age > 60 and not pid_alive(run.pid, "layerloom"))


def died_reason(pid: int | None, returncode: int | None, resumable: bool) -> str:
    """Why a run's process ended without saying so itself, in words."""
    if returncode is not None and returncode < 0:
        import signal

        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        what = f"its process was killed by {name}"
        if -returncode == 9:
            what += " (often the system running out of memory: try a smaller batch or model)"
    elif returncode is not None:
        what = f"its process exited with code {returncode} without reporting"
    else:
        what = f"its process (pid {pid}) ended without reporting (killed, out of memory or " \
               f"the machine restarted)"
    return what + ("; resume it from its last checkpoint" if resumable else "")


def pid_alive(pid: int, command: str | None = None) -> bool:
    """Whether a process with this id exists and is not a zombie; with ``command``, also that
    its command line mentions it (where /proc tells)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still answers kill(0): read its state where /proc exists
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        if command is not None:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return command.encode() in f.read()
    except OSError:
        pass
    return True
