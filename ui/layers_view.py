"""The Train page's live layer diagnostics: a layers × steps heatmap beside the curves, and what
looks wrong in words, naming the block (see ``runtime/diagnostics.py``).

>>> from layerloom.runtime.diagnostics import LayerHistory
>>> hist = LayerHistory([1, 50], ["conv1", "fc"], {"grad_norm": [[0.1, 0.01], [1.0, None]]})
>>> spec = heatmap_spec(hist, "grad_norm")
>>> spec["data"][0]["y"], spec["data"][0]["z"]
(['conv1', 'fc'], [[-1.0, -2.0], [0.0, None]])
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from layerloom.runtime.diagnostics import LayerHistory, from_rows, kinds_from_graph

from .fields import plain

# what each statistic is called on the page, and whether it reads better on a log scale
STATS = {
    "grad_norm": ("Gradient norm (log10)", True),
    "update_ratio": ("Update ÷ weight size (log10)", True),
    "zeros": ("Share of zero outputs", False),
    "act_std": ("Activation spread (std)", False),
    "act_mean": ("Activation mean", False),
}


def heatmap_spec(hist: LayerHistory, stat: str) -> dict:
    """Blocks (rows, in the order the model runs them) × watched steps, as a plain Plotly
    figure dict; log10 for norms and ratios (a zero or missing cell stays empty)."""
    title, log = STATS[stat]
    rows = hist.values.get(stat) or []
    keep = [i for i, row in enumerate(rows) if any(v is not None for v in row)]

    def cell(v):
        if v is None or not math.isfinite(v):
            return None
        if log:
            return round(math.log10(v), 4) if v > 0 else None
        return round(v, 4)

    z = [[cell(v) for v in rows[i]] for i in keep]
    trace = {"type": "heatmap", "x": list(hist.steps), "y": [hist.blocks[i] for i in keep],
             "z": z, "colorscale": "Viridis", "hoverongaps": False,
             "colorbar": {"thickness": 10}}
    height = max(220, 60 + 18 * len(keep))
    layout = {"title": {"text": title, "x": 0.02, "xanchor": "left", "font": {"size": 14}},
              "xaxis": {"title": {"text": "step"}, "range": step_range(hist.steps)},
              "yaxis": {"autorange": "reversed", "automargin": True},
              "height": height, "margin": {"l": 10, "r": 10, "t": 40, "b": 40}}
    return {"data": [trace], "layout": layout}


def step_range(steps) -> list[float] | None:
    """The x range of the heatmap: from its first watched step to its last, as the curves beside
    it start at their first step. A heatmap's x are cell centres: left to autorange, the first
    cell's left half reached back before step 0 (steps 1 and 50 drew an axis from -23).

    >>> step_range([1, 50]), step_range([0]), step_range([])
    ([1, 50], [0, 0.5], None)
    """
    if not steps:
        return None
    first, last = steps[0], steps[-1]
    if first == last:  # one column: the cell is one step wide, never left of step 0
        return [max(first - 0.5, min(first, 0)), last + 0.5]
    return [first, last]


def history_of(rows) -> LayerHistory:
    return from_rows(rows)


def stat_choice(run_id: int) -> str:
    """Which statistic the heatmap shows (kept per run while the page lives)."""
    return st.radio("Layer diagnostics", list(STATS), horizontal=True,
                    format_func=lambda s: STATS[s][0], key=f"layers.stat.{run_id}")


def show_findings(hist: LayerHistory, graph: dict | None,
                  target: Callable[[], str | None] | None = None) -> None:
    """What looks wrong, each once, in words naming the block (shown as typed: ids are user
    text). ``target`` says, when asked, why gradients are huge where the run learns a target
    far from unit scale as it is: asked only where they are."""
    kinds = kinds_from_graph(graph or {}, hist.blocks)
    findings = hist.findings(kinds)
    if target is not None and any(f.kind == "exploding_gradient" for f in findings):
        cause = target()
        if cause:
            findings = hist.findings(kinds, target=cause)
    for finding in findings:
        st.warning(plain(finding.message), icon="⚠️")


@st.cache_data(max_entries=16, show_spinner=False)
def target_cause(db: str, run_id: int) -> str | None:
    """Why a run's gradients are huge when it learns a regression target far from unit scale
    as it is (``runtime/target_scale.py``); None otherwise, or when its data cannot be read."""
    from layerloom.graph import load_graph
    from layerloom.runtime import RunStore
    from layerloom.runtime.target_advice import run_cause

    from .predict import run_dataset

    run = RunStore(db).get(run_id)
    try:
        ds = run_dataset(run)
        graph = load_graph(run.graph)
        return run_cause(graph, ds, run.config, run.variables)
    except Exception:  # noqa: BLE001 - a moved file: the findings are said without the cause
        return None
