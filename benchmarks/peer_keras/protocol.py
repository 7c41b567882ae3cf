"""How run.py talks to its workers: JSON lines on stdin/stdout, the worker's ones marked ``@@``.

A worker sets its model up, says ``{"ready": ...}``, then obeys one command per line:
``epoch`` (train one pass, answer with its seconds), ``matmul`` (answer with GFLOP/s) or
``quit``. Between commands it is blocked on stdin, so it uses no CPU while the other side runs.
Shared by both virtual environments, so it imports nothing beyond the standard library.
"""

from __future__ import annotations

import json
import resource
import sys
import time

MARK = "@@"


def say(**message) -> None:
    sys.stdout.write(MARK + json.dumps(message) + "\n")
    sys.stdout.flush()


def command() -> str:
    line = sys.stdin.readline()
    return line.strip() or "quit"  # a closed pipe means the orchestrator is gone


def cpu_seconds() -> float:
    """User plus system CPU time of this process, all its threads together."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EpochClock:
    """Wall and CPU seconds from ``start()`` to ``stop()``: one epoch."""

    def start(self) -> None:
        self.t0, self.c0 = time.perf_counter(), cpu_seconds()

    def stop(self) -> dict:
        return {"seconds": time.perf_counter() - self.t0, "cpu_seconds": cpu_seconds() - self.c0}
