"""What a run reports as it goes, and how it is asked to stop or pause.

A run sends :class:`Event` objects to a *sink*: any callable taking one event. The database
(`store.StoreSink`), the CLI's progress bar and a notebook's callback are all sinks. A sink that
returns ``"stop"`` or ``"pause"`` asks the run to do so at the next batch boundary.

>>> seen = []
>>> sink = fan_out([seen.append, lambda e: None])
>>> sink(Event("message", message="hello"))
>>> seen[0].message
'hello'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

REQUESTS = ("stop", "pause")


@dataclass
class Event:
    # "start", "step" (every log_every steps), "epoch" (after validation), "message", "end"
    kind: str
    epoch: int = 0  # 0-based epoch in progress; for "epoch", the one just finished
    epochs: int = 0
    step: int = 0  # optimiser steps done so far
    total_steps: int = 0
    # step: loss, accuracy|mae, lr, samples_per_s; epoch: train_loss, train_accuracy|train_mae,
    # val_loss, val_accuracy|val_mae, lr, epoch_time (and any the trainer adds)
    metrics: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds of training so far, across resumes
    eta: float | None = None  # seconds left, estimated from the speed so far
    message: str = ""
    status: str | None = None  # for "end": completed, stopped, paused
    # for "step": the first step of a resumed session, shown at once but no point of the curve
    # (the database keeps no row of it; the next point covers its steps too)
    provisional: bool = False
    # for "start": the run's regression target learned standardised, as the runs database
    # records it ({"target", "mean", "std", "head"}: target_scale.py); None where it is not
    target_scale: dict | None = None

    @property
    def progress(self) -> float:
        """Share of the planned steps done, 0…1."""
        return self.step / self.total_steps if self.total_steps else 0.0


Sink = Callable[[Event], object]


def fan_out(sinks: Iterable[Sink | None]) -> Sink:
    """One sink that hands every event to each of ``sinks`` and returns the first request."""
    sinks = [s for s in sinks if s is not None]

    def send(event: Event):
        request = None
        for sink in sinks:
            answer = sink(event)
            if request is None and answer in REQUESTS:
                request = answer
        return request

    return send


class Control:
    """Stop and pause requests for a run in this process (a notebook, the CLI, a thread).

    The trainer calls :meth:`poll` before every step; here that reads one attribute. The
    database's control (``store.StoreControl``) reads the runs table at most twice a second.
    """

    def __init__(self) -> None:
        self._request: str | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        with self._lock:
            self._request = "stop"

    def pause(self) -> None:
        with self._lock:
            self._request = "pause"

    def poll(self) -> str | None:
        return self._request

    def clear(self) -> None:
        with self._lock:
            self._request = None
