"""Three runs of one design read apart wherever the app lists or picks runs: the Runs page's
table, its compare picker and the overlaid curves' legend, the Results and Export pickers and
the Train page's heading all use each run's display name (``seed-cnn #3 · learning rate 0.001 ·
batch size 32``, runtime/runnames.py), not "seed-cnn" three times."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore

TIMEOUT = 60
GRAPH = {"format": "layerloom-graph", "version": 1, "name": "seed-cnn", "nodes": [],
         "edges": []}
NAMES = {1: "seed-cnn #1 · learning rate 0.001 · batch size 64",
         2: "seed-cnn #2 · learning rate 0.01 · batch size 64",
         3: "seed-cnn #3 · learning rate 0.001 · batch size 32"}


@pytest.fixture()
def three_runs(tmp_path, monkeypatch):
    """Three completed runs of seed-cnn, each with a validation curve and a checkpoint file."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore()
    for lr, batch in [(0.001, 64), (0.01, 64), (0.001, 32)]:
        run = store.create_run("seed-cnn", GRAPH, {"source": "mnist-5k"},
                               {"optimizer": "adam", "lr": lr, "batch_size": batch,
                                "epochs": 2})
        store.add_metrics([(run, 10 * e, e, "val", "loss", 1.0 / (e + run), 0.0)
                           for e in range(2)])
        checkpoint = tmp_path / f"{run}.pt"
        checkpoint.write_bytes(b"")
        store.set_status(run, "completed", "finished 2 epochs", checkpoint=str(checkpoint))
    store.close()
    return tmp_path


def captions(at) -> list[str]:
    """The captions' text, without the dot in the run's colour that leads a run's caption."""
    return [re.sub(r'^<span style="color:#[0-9A-Fa-f]{6}"[^>]*>●</span> ', "", c.value)
            for c in at.caption]


def _page(module: str) -> AppTest:
    def script(name: str = ""):
        import importlib

        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
        importlib.import_module(f"layerloom.ui.pages.{name}").render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"name": module}, default_timeout=TIMEOUT)


def test_the_runs_table_picker_and_legend_name_each_run_apart(three_runs):
    at = _page("runs").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["name"]) == [NAMES[3], NAMES[2], NAMES[1]]
    picker = at.multiselect(key="runs.compare")
    assert picker.options == [NAMES[3], NAMES[2], NAMES[1]]
    assert picker.value == [3, 2, 1]
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in figure["data"]] == [NAMES[3], NAMES[2], NAMES[1]]
    opener = at.selectbox(key="runs.open")
    assert [o.split(" · mnist-5k")[0] for o in opener.options] == [NAMES[3], NAMES[2],
                                                                   NAMES[1]]


def test_the_results_and_export_pickers_name_each_run_apart(three_runs):
    at = _page("results").run()
    assert not at.exception
    options = at.selectbox(key="results.run").options
    assert options == [f"{NAMES[i]} · mnist-5k · completed" for i in (3, 2, 1)]
    assert len(set(options)) == 3
    caption = next(c for c in captions(at) if c.startswith("Showing run"))
    assert caption.startswith(f"Showing run “{NAMES[3]}” finished ")

    at = _page("export").run()
    at.radio(key="export.source").set_value(at.radio(key="export.source").options[1]).run()
    assert at.selectbox(key="export.run").options == [
        f"{NAMES[i]} · mnist-5k · completed" for i in (3, 2, 1)]


def test_the_train_page_heads_a_run_with_its_name(three_runs):
    def script():
        from layerloom.runtime import RunStore
        from layerloom.ui.pages.train import show_run
        from layerloom.ui.pagestate import PagesState

        store = RunStore()
        show_run(PagesState(), store, store.get(2))

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [h.value for h in at.subheader] == [f"Run {NAMES[2]}"]


def test_a_run_on_an_uploaded_file_shows_the_files_name_not_where_it_is_kept(tmp_path,
                                                                            monkeypatch):
    """An upload is kept as ``uploads/<hash>/small.csv``: the Train page's heading, the Runs
    table, the pickers and the run's name show ``small.csv``."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    kept = str(tmp_path / "uploads" / "7974983fb531" / "small.csv")
    store = RunStore()
    runs = []
    for source in (kept, "iris"):
        run = store.create_run("mlp-tabular", GRAPH, {"source": source, "seed": 0}, {})
        store.set_status(run, "completed", "finished")
        runs.append(run)
    store.close()

    def script(run_id: int = 0):
        from layerloom.runtime import RunStore
        from layerloom.ui.pages.train import show_run
        from layerloom.ui.pagestate import PagesState

        store = RunStore()
        show_run(PagesState(), store, store.get(run_id))

    at = AppTest.from_function(script, kwargs={"run_id": runs[0]},
                               default_timeout=TIMEOUT).run()
    assert not at.exception
    [heading] = [h.value for h in at.subheader]
    assert heading == f"Run mlp-tabular #{runs[0]} · on small.csv"
    assert captions(at)[0].startswith("small.csv · ")
    assert "uploads" not in heading + at.caption[0].value

    from layerloom.ui.pages.common import run_label, run_names
    from layerloom.ui.pages.runs import rows

    every = RunStore().list_runs()
    names = run_names(every)
    table = rows(every, names)
    assert list(table["data"]) == ["iris", "small.csv"]
    first = next(r for r in every if r.id == runs[0])
    assert run_label(first, names[first.id]) == f"{names[first.id]} · completed"
    assert all("7974983fb531" not in value for value in names.values())
