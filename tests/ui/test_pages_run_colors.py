"""The Runs page's comparison starts with the latest runs of the current project's design,
never unrelated designs side by side; and a run keeps one colour, derived from its id, in the
comparison (whichever runs are beside it) and beside its name on the Results and Train pages."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore
from layerloom.ui.charts import run_color
from layerloom.ui.pages.runs import default_compare

TIMEOUT = 60
GRAPH = {"format": "layerloom-graph", "version": 1, "name": "x", "nodes": [], "edges": []}
SWATCH = re.compile(r'^<span style="color:(#[0-9A-Fa-f]{6})"[^>]*>●</span> ')


@pytest.fixture()
def mixed(tmp_path, monkeypatch):
    """A seed-cnn project with three runs on digits, then a newer mlp-tabular run on a CSV
    (another project): the newest three runs mix the two designs."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    from layerloom.graph.templates import load_template
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    pid = DesignerState.new(ProjectStore(), load_template("seed-cnn")).project_id
    store = RunStore()
    ids = []
    for name, source, project in [("seed-cnn", "digits", pid), ("seed-cnn", "digits", pid),
                                  ("seed-cnn", "digits", pid),
                                  ("mlp-tabular", str(tmp_path / "small.csv"), "other")]:
        run = store.create_run(name, GRAPH, {"source": source}, {"epochs": 2}, project=project)
        store.add_metrics([(run, 10 * e, e, "val", "loss", 1.0 / (e + run), 0.0)
                           for e in range(2)])
        checkpoint = tmp_path / f"{run}.pt"
        checkpoint.write_bytes(b"")
        store.set_status(run, "completed", "finished", checkpoint=str(checkpoint))
        ids.append(run)
    store.close()
    return pid, ids


def _page(module: str, pid: str) -> AppTest:
    def script(name: str = "", pid: str = ""):
        import importlib

        import streamlit as st

        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        importlib.import_module(f"layerloom.ui.pages.{name}").render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"name": module, "pid": pid},
                                 default_timeout=TIMEOUT)


def _trace_colors(at) -> dict[str, str]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t["name"].split(" ·")[0]: t["line"]["color"] for t in figure["data"]}


def test_the_comparison_starts_with_the_projects_latest_runs_not_the_newest_of_any(mixed):
    pid, (a, b, c, csv) = mixed
    at = _page("runs", pid).run()
    assert not at.exception
    assert at.multiselect(key="runs.compare").value == [c, b, a]  # not the mlp-tabular run


def test_default_compare_falls_back_to_the_design_then_the_latest_design():
    def made(id, name, project=None):
        return SimpleNamespace(id=id, name=name, project=project)

    runs = [made(6, "mlp-tabular", "p2"), made(5, "seed-cnn"), made(4, "seed-cnn", "p1"),
            made(3, "seed-cnn", "p1"), made(2, "mlp-tabular"), made(1, "seed-cnn", "p1")]
    assert default_compare(runs, "p1", "seed-cnn") == [4, 3, 1]  # the project's own
    assert default_compare(runs, "p9", "seed-cnn") == [5, 4, 3]  # its design's
    assert default_compare(runs, "p9", "lenet5") == [6, 2]  # the design that ran last
    assert default_compare([], "p1", "seed-cnn") == []


def test_a_run_keeps_its_colour_in_the_comparison_and_on_the_results_and_train_pages(mixed):
    pid, (a, b, c, csv) = mixed
    assert len({run_color(i) for i in (a, b, c, csv)}) == 4
    at = _page("runs", pid).run()
    colors = _trace_colors(at)
    assert colors == {f"seed-cnn #{i}": run_color(i) for i in (a, b, c)}
    # another set beside it: run b's colour stays
    at.multiselect(key="runs.compare").set_value([csv, b]).run()
    assert _trace_colors(at)[f"seed-cnn #{b}"] == run_color(b)

    # the Results page: the dot before "Showing run …" has the run's colour
    at = _page("results", pid).run()
    at.selectbox(key="results.run").select(b).run()
    assert not at.exception
    [shown] = [m.group(1) for cap in at.caption if (m := SWATCH.match(cap.value))]
    assert shown == run_color(b) == colors[f"seed-cnn #{b}"]

    # the Train page's heading of the run: the same dot
    def script(run_id: int = 0):
        from layerloom.runtime import RunStore
        from layerloom.ui.pages.train import show_run
        from layerloom.ui.pagestate import PagesState

        store = RunStore()
        show_run(PagesState(), store, store.get(run_id))

    at = AppTest.from_function(script, kwargs={"run_id": b}, default_timeout=TIMEOUT).run()
    assert not at.exception
    [shown] = [m.group(1) for cap in at.caption if (m := SWATCH.match(cap.value))]
    assert shown == run_color(b)


def _luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_run_color_stands_out_on_the_white_page():
    """A run's curve and the dot beside its name are drawn on white: each colour is at least
    3:1 against it (WCAG's non-text contrast), and no two runs of ten share a colour. The grey,
    yellow and cyan of Tol's bright scheme were under 2:1, their dots hard to find."""
    from layerloom.ui.charts import RUN_COLORS

    colors = [run_color(i) for i in range(1, len(RUN_COLORS) + 1)]
    assert len(set(colors)) == len(RUN_COLORS)
    contrast = {c: round(1.05 / (_luminance(c) + 0.05), 2) for c in colors}
    assert all(ratio >= 3.0 for ratio in contrast.values()), contrast
