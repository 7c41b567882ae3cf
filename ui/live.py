"""Watching a run live: read its new metric rows from the run store once a second and redraw.

The run trains in a process of its own and writes to the database; the page only reads. The
live panel is an ``st.fragment(run_every=1)``: it reruns alone, once a second, and never blocks
the page. Each rerun asks the store only for the rows written since the last one
(:class:`Feed`), and the curves go to one :func:`~layerloom.ui.livechart.live_charts` component
that updates its Plotly charts in place, so watching costs the run next to nothing
(``benchmarks/ui_live_bench.py``).

>>> progress_line({"epoch": 1, "epochs": 5, "step": 120, "total_steps": 550, "eta": 42.4,
...                "metrics": {"samples_per_s": 1534.2}}, "running")
'epoch 2/5 · step 120/550 · 1,534 samples/s · ETA 0:42'
>>> progress_line({"epoch": 0, "epochs": 2, "step": 8, "total_steps": 20, "eta": 3,
...                "metrics": {"samples_per_s": 6000.0, "processes": 4}}, "running")
'epoch 1/2 · step 8/20 · 4 processes · 6,000 samples/s in all · ETA 0:03'
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from layerloom.runtime import RunStore, run_status
from layerloom.runtime.store import ACTIVE, default_db

from . import charts, layers_view
from .livechart import live_charts

REFRESH_S = 1.0


@st.cache_resource(show_spinner=False)
def _store(path: str) -> RunStore:
    return RunStore(path)


def store_of() -> RunStore:
    """This server's connection to the runs database under ``$LAYERLOOM_HOME``."""
    return _store(str(default_db()))


class Feed:
    """A run's metric rows, fetched incrementally (only rows newer than the last seen) and kept
    as the dicts the chart builders read (each row converted once, not on every redraw)."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.rows: list = []
        self._last = 0
        self._held = 0  # rows read so far (see poll)
        self._lock = threading.Lock()

    def poll(self, store: RunStore) -> list:
        with self._lock:
            if self._last and store.count_metrics(self.run_id, self._last) != self._held:
                # a resume trimmed what the run logged after its checkpoint (and its new rows
                # may reuse those ids): read the run again from its first row
                self.rows, self._last, self._held = [], 0, 0
            new = store.metrics(self.run_id, after=self._last)
            if new:
                self.rows.extend(charts.records(new))
                self._last = new[-1].rowid
                self._held += len(new)
            return list(self.rows)


@st.cache_resource(max_entries=64, show_spinner=False)
def _feed(path: str, run_id: int) -> Feed:
    return Feed(run_id)


def rows_of(store: RunStore, run_id: int) -> list:
    """All metric rows of a run so far, read incrementally and shared by every viewer."""
    return _feed(str(store.path), run_id).poll(store)


def clock(seconds: float | None) -> str:
    """``0:42``, ``1:02:03``; ``?`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_line(progress: dict | None, status: str) -> str:
    """Epoch, step, samples/s and ETA in one line."""
    if not progress or "step" not in progress:  # a run starting has only its phase
        return "waiting for the run to start…" if status in ACTIVE else status
    parts = [f"epoch {shown_epoch(progress)}/{progress.get('epochs', '?')}",
             f"step {progress.get('step', 0)}/{progress.get('total_steps', '?')}"]
    metrics = progress.get("metrics") or {}
    speed, processes = metrics.get("samples_per_s"), int(metrics.get("processes") or 1)
    if processes > 1:  # a distributed run: its speed is of the global batches, all ranks'
        parts.append(f"{processes} processes")
    if speed:
        parts.append(f"{speed:,.0f} samples/s" + (" in all" if processes > 1 else ""))
    if status in ACTIVE:
        parts.append(f"ETA {clock(progress.get('eta'))}")
    else:
        parts.append(f"took {clock(progress.get('elapsed'))}")
    return " · ".join(parts)


def shown_epoch(progress: dict) -> int:
    """The epoch the run is in, or has just finished at an epoch's end: counted from its step,
    as the run's own notes count ("stopped … after epoch 690" is at epoch 690, not 691).

    >>> shown_epoch({"epoch": 690, "epochs": 3000, "step": 4830, "total_steps": 21000})
    690
    >>> shown_epoch({"epoch": 517, "epochs": 3000, "step": 3622, "total_steps": 21000})
    518
    """
    epochs = progress.get("epochs") or 1
    total, step = progress.get("total_steps") or 0, progress.get("step") or 0
    if total and total % epochs == 0:
        per_epoch = total // epochs
        return max(1, min(epochs, -(-step // per_epoch)))
    return min(progress.get("epoch", 0) + 1, epochs)


def fraction(progress: dict | None) -> float:
    if not progress or not progress.get("total_steps"):
        return 0.0
    return max(0.0, min(1.0, progress["step"] / progress["total_steps"]))


def metric_names(rows) -> list[str]:
    """The curves a run has besides the loss: ``accuracy`` for classes, ``mae`` for numbers."""
    names = {r.get("name") for r in charts.records(rows)}
    return ["loss"] + [m for m in ("accuracy", "mae") if m in names]


def curve_title(run, metric: str) -> str | None:
    """``Loss on price standardised`` for a run that learns its regression target standardised
    (its loss is not in the target's units, as its MAE is); None: the chart's own title."""
    scale = getattr(run, "target_scale", None)
    if metric != "loss" or not scale:
        return None
    return f"Loss on {scale.get('target') or 'the target'} standardised"


def draw(store: RunStore, run_id: int, per_epoch: bool,
         header: Callable[[object], None] | None = None, run=None) -> object:
    """Progress and curves of one run as they are now (after ``header(run)``, its status in
    words); the run's row. ``run``, where given, is the row the rest of the page was drawn from,
    so that the status shown agrees with the page's buttons."""
    if run is None:
        run = run_status(run_id, store)
    if header is not None:  # in a slot drawn every time: a status line that comes and goes
        with st.container(key=f"live.header.{run_id}"):  # would shift (re-create) the charts
            header(run)
    rows = rows_of(store, run_id)
    progress = run.progress or {}
    label = progress_line(progress, run.status)
    if run.control in ("stop", "pause") and run.status in ACTIVE:
        label += f" · {'stopping' if run.control == 'stop' else 'pausing'} at the next batch…"
    st.progress(fraction(progress), text=label)
    figures = [{"key": name, **charts.curves_spec(rows, name, per_epoch=per_epoch,
                                                  title=curve_title(run, name))}
               for name in metric_names(rows)]
    figures.append({"key": "lr", **charts.lr_spec(rows)})
    live_charts(figures, key=f"live.{run_id}", config=charts.CONFIG)
    layers = layers_view.history_of(rows)  # per-layer diagnostics, once the run has some
    if layers.steps:
        spec = layers_view.heatmap_spec(layers, layers_view.stat_choice(run_id))
        live_charts([{"key": "layers", **spec}], key=f"layers.{run_id}",
                    config=charts.CONFIG)
        layers_view.show_findings(layers, run.graph,
                                  lambda: layers_view.target_cause(str(store.path), run_id))
    return run


def watch(store: RunStore, run_id: int, per_epoch: bool,
          header: Callable[[object], None] | None = None, run=None) -> None:
    """Draw the run; while it is queued or running, redraw once a second in a fragment.

    ``run`` is the row the page's buttons were drawn from (read here when not given): the full
    page pass draws that same row, so a run that pauses or ends between two reads cannot show
    "Paused" beside a Pause button. The fragment's own reruns read the run afresh, and when the
    run ends the whole page reruns once, so that its buttons and results follow.
    """
    if run is None:
        run = run_status(run_id, store)
    if run.status not in ACTIVE:
        draw(store, run_id, per_epoch, header, run)
        return
    snapshot = [run]  # used by the pass that draws the page, then the fragment reads afresh

    def panel() -> None:
        current = draw(store, run_id, per_epoch, header, snapshot.pop() if snapshot else None)
        if current.status not in ACTIVE:
            st.rerun(scope="app")

    st.fragment(panel, run_every=REFRESH_S)()
