"""Opening a run's design from the Runs page (AppTest). A run of another project replaced the
design open in the tab: an MLP built for iris became another project's CNN (undoable, but the
project then held a design it was never about). A run of another project now opens as a new
project, the design open before left as it was; a run of the open project still replaces its
design, undoably."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY

MLP = {"format": "layerloom-graph", "version": 1, "name": "iris-mlp",
       "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                 {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                 {"id": "y", "type": "Output"}],
       "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}


def page(project_id: str) -> AppTest:
    def script(pid: str = ""):
        import streamlit as st

        from layerloom.ui.pages import runs
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import SESSION_KEY, DesignerState

        if SESSION_KEY not in st.session_state:
            st.session_state[SESSION_KEY] = DesignerState.open(ProjectStore(), pid)
        runs.render(st.session_state[SESSION_KEY])

    return AppTest.from_function(script, kwargs={"pid": project_id}, default_timeout=60)


@pytest.fixture
def projects(home):
    """An iris MLP project, and a seed-cnn project with a run recorded (its design is what
    opening reads; no training needed)."""
    store = ProjectStore()
    mine = store.create(load_graph(MLP))
    cnn = store.create(load_template("seed-cnn"))
    runs = RunStore()
    cnn_run = runs.create_run("seed-cnn", load_template("seed-cnn").to_dict(),
                              {"source": "mnist-5k"}, {"epochs": 2}, project=cnn)
    own_run = runs.create_run("iris-mlp", MLP, {"source": "iris"}, {"epochs": 3},
                              project=mine)
    runs.close()
    return mine, cnn, cnn_run, own_run


def _saved_ids(home, pid: str) -> list[str]:
    graph = json.loads((home / "projects" / pid / "graph.json").read_text())
    return [n["id"] for n in graph["nodes"]]


def test_a_run_of_another_project_opens_as_a_new_project(home, projects):
    mine, cnn, cnn_run, _ = projects
    at = page(mine).run()
    assert not at.exception, at.exception
    at.selectbox(key="runs.open").select(cnn_run).run()
    at.button(key="runs.open.go").click().run()
    assert not at.exception, at.exception
    state = at.session_state[SESSION_KEY]
    assert state.project_id not in (mine, cnn)
    assert state.graph.name == f"seed-cnn run {cnn_run}"
    assert "conv1" in [n.id for n in state.graph.nodes]
    assert _saved_ids(home, mine) == ["x", "fc", "y"]  # the iris MLP, as it was
    assert "conv1" in _saved_ids(home, state.project_id)
    # said in the Designer, where the design now is (the page goes there)
    assert state.open_designer
    [notice] = [n.text for n in state.notices if "Opened the design" in n.text]
    assert f"as the new project “seed-cnn run {cnn_run}”" in notice
    assert "“iris-mlp” is as it was" in notice


def test_a_run_of_the_open_project_still_replaces_its_design_undoably(home, projects):
    mine, _, _, own_run = projects
    graph = load_graph(MLP)
    graph.nodes[1].params["out_features"] = 5  # edited since the run
    store = ProjectStore()
    store.save(mine, graph)
    at = page(mine).run()
    at.selectbox(key="runs.open").select(own_run).run()
    at.button(key="runs.open.go").click().run()
    state = at.session_state[SESSION_KEY]
    assert state.project_id == mine
    assert state.graph.nodes[1].params["out_features"] == 3
    assert len(state.undo_stack) == 1


def test_a_run_design_the_disk_refuses_is_not_said_opened(home, projects, monkeypatch):
    """'Open in the designer' with the project folder full (or read-only): the page says the
    design was not opened and why; it said 'It is in the Designer now' over the old design."""
    import errno

    from layerloom.ui import projects as project_store

    mine, _, _, own_run = projects
    graph = load_graph(MLP)
    graph.nodes[1].params["out_features"] = 5  # edited since the run
    ProjectStore().save(mine, graph)
    at = page(mine).run()
    at.selectbox(key="runs.open").select(own_run).run()

    def full(path, data, expect=None):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(project_store, "_write_atomic", full)
    at.button(key="runs.open.go").click().run()
    assert not at.exception, at.exception
    said = " ".join(i.value for i in at.info)
    assert "It is in the Designer now" not in said
    assert "was not opened. Your last edit (Opened the design of run" in said
    assert "No space left on device" in said
    assert at.session_state[SESSION_KEY].graph.nodes[1].params["out_features"] == 5


def test_a_run_opened_as_a_new_project_brings_its_data(home, projects, tmp_path):
    """The new project is checked against the data the run trained on. It had no data of its
    own, so the designer checked it against the data its design names (the mlp-tabular
    template's iris): a design trained on wine (13 features) opened as '1 error with iris'."""
    mine, _, _, _ = projects
    wine = load_template("mlp-tabular")
    wine.variables["features"] = 13
    runs = RunStore()
    on_wine = runs.create_run("mlp-tabular", wine.to_dict(), {"source": "wine", "seed": 3},
                              {"epochs": 2}, project=ProjectStore().create(wine))
    table = tmp_path / "gone.csv"
    gone = runs.create_run("mlp-tabular", wine.to_dict(), {"source": str(table)},
                           {"epochs": 2}, project=ProjectStore().create(wine))
    runs.close()
    at = page(mine).run()
    at.selectbox(key="runs.open").select(on_wine).run()
    at.button(key="runs.open.go").click().run()
    assert not at.exception, at.exception
    opened = at.session_state[SESSION_KEY].project_id
    kept = ProjectStore(home).data_choice(opened)
    assert kept["source"] == "wine" and kept["seed"] == 3
    # a file no longer there is not made the new project's data
    at = page(mine).run()
    at.selectbox(key="runs.open").select(gone).run()
    at.button(key="runs.open.go").click().run()
    assert not at.exception, at.exception
    assert ProjectStore(home).data_choice(at.session_state[SESSION_KEY].project_id) is None
