"""Every chart the app draws keeps its title, mode bar and legend apart (ui/charts.py LEGEND and
CONFIG): the legend under the plot, the mode bar on hover with a few tools, at every width.

At 1280×720 the mode bar covered the legend, which sat above the plot at the right, under it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from layerloom.ui import charts, inside

UI = Path(charts.__file__).resolve().parent
ROWS = [{"step": s, "epoch": s // 20, "split": split, "name": "loss", "value": 1 / s}
        for s in (10, 20, 30, 40) for split in ("step", "val")]


def _below(legend) -> bool:
    """The legend's bottom edge at the bottom of the figure, left-aligned, in a row."""
    return (legend.orientation == "h" and legend.yref == "container" and legend.y == 0
            and legend.yanchor == "bottom" and legend.x == 0 and legend.xanchor == "left")


def test_every_chart_with_a_legend_has_it_under_the_plot_and_room_for_it():
    figures = {
        "curves": charts.curves_figure(ROWS, "loss"),
        "lr": charts.lr_figure([dict(r, name="lr") for r in ROWS]),
        "lr finder": charts.lr_finder_figure([1e-4, 1e-2], [2.0, 1.0], 1e-3),
        "class balance": charts.class_balance_figure({"train": {"a": 3}, "val": {"a": 1}}),
        "probabilities": charts.probabilities_figure([0.2, 0.8], ["a", "b"]),
        "scatter": charts.scatter_figure([1.0, 2.0], [1.5, 2.5]),
        "runs overlay": charts.overlay_figure({"#1": ROWS, "#2": ROWS}, "val", "loss"),
        "signals": charts.signals_figure(np.zeros((2, 5)), ["a", "b"]),
        "embedding": inside.embedding_figure(np.zeros((2, 2)), ["a", "b"], ["a", "a"]),
    }
    for name, fig in figures.items():
        assert _below(fig.layout.legend), name
        # the title's row at the top is the mode bar's; the legend's rows are at the bottom
        assert fig.layout.margin.b >= 40, name
    assert figures["embedding"].layout.legend.title.text == "true class (× wrong)"
    # the live panel's curves are plain dicts with the same legend
    spec = charts.curves_spec(ROWS, "loss")
    assert spec["layout"]["legend"] == charts.LEGEND
    assert spec["layout"]["margin"]["t"] < 64 <= spec["layout"]["margin"]["b"] + 8


def test_the_mode_bar_shows_on_hover_with_the_tools_people_use_and_never_uploads():
    assert charts.CONFIG["displayModeBar"] == "hover" and charts.CONFIG["displaylogo"] is False
    removed = set(charts.CONFIG["modeBarButtonsToRemove"])
    assert {"zoomIn2d", "zoomOut2d", "autoScale2d", "lasso2d", "select2d",
            "sendChartToCloud"} <= removed
    assert not removed & {"toImage", "zoom2d", "pan2d", "resetScale2d"}
    assert charts.PICTURE["displayModeBar"] is False


def _plotly_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("plotly_chart", "live_charts"):
            yield node


def test_every_chart_on_every_page_is_drawn_with_the_apps_config():
    """``st.plotly_chart`` and the live panel, wherever the app calls them: config=charts.CONFIG
    (or PICTURE, for pictures), never Plotly's default bar with its cloud upload button."""
    seen = 0
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _plotly_calls(tree):
            seen += 1
            config = next((k.value for k in call.keywords if k.arg == "config"), None)
            where = f"{path.relative_to(UI)}:{call.lineno}"
            assert config is not None, f"{where} draws a chart without config="
            assert ast.unparse(config) in ("charts.CONFIG", "charts.PICTURE"), where
    assert seen >= 15


def test_the_live_panel_passes_the_config_to_its_component(monkeypatch):
    import layerloom.ui.livechart as livechart

    sent = {}
    monkeypatch.setattr(livechart, "_component", lambda **kw: sent.update(kw))
    livechart.live_charts([{"key": "loss", **charts.curves_spec(ROWS, "loss")}], key="k",
                          config=charts.CONFIG)
    assert sent["config"] == charts.CONFIG
    livechart.live_charts([{"key": "loss", "data": [], "layout": {}}], key="k")
    assert sent["config"] is None


def test_parallel_coordinates_keep_room_for_the_axis_names_under_the_title():
    fig = charts.parallel_figure(pd.DataFrame({"lr": [0.1, 0.01], "val_loss": [1.0, 2.0]}),
                                 "val_loss")
    assert fig.layout.margin.t >= 64
