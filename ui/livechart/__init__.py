"""LayerLoom's live training curves: a Streamlit component that keeps its Plotly charts and
updates them in place.

``st.plotly_chart`` gives each figure an identity made from its content, so a chart whose data
grows is a new element on every rerun: the browser builds a new Plotly plot from nothing, three
times a second on the Train page. This component is one iframe, kept across reruns by its key;
it receives the figures as plain dicts and redraws a chart with ``Plotly.react`` only when its
figure changed (``benchmarks/ui_live_bench.py`` measures what watching a run costs).

    live_charts([{"key": "loss", **charts.curves_spec(rows, "loss")}], key="live.7")

The frontend is ``frontend/src``, served as it is: plain ES modules (``main.js``, the pure
helpers in ``layout.js``, tested with ``node --test``) and the plotly.js cartesian bundle, vendored
from npm and committed so that users need no Node (``make frontend`` vendors it again).
This module imports only Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit.components.v1 as components

__all__ = ["live_charts"]

_STATIC_DIR = Path(__file__).resolve().parent / "frontend" / "src"
_component = components.declare_component("layerloom_livechart", path=str(_STATIC_DIR))


def live_charts(figures: Sequence[Mapping], *, key: str, config: Mapping | None = None) -> None:
    """Show ``figures`` side by side, each ``{"key", "data", "layout"}`` (a Plotly figure as a
    dict, plus a key unique among them). Keep ``key`` the same across reruns: the charts are
    then updated in place rather than drawn anew. ``config``: Plotly's config for every chart
    (the mode bar's buttons…), as ``st.plotly_chart`` takes it; None keeps the component's."""
    figures = [dict(f) for f in figures]
    keys = [f.get("key") for f in figures]
    if None in keys or len(set(keys)) != len(keys):
        raise ValueError(f"each figure needs a key of its own; got {keys}")
    _component(figures=figures, config=dict(config) if config is not None else None, key=key,
               default=None)
