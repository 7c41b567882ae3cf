"""The designer shows what a selected block outputs in the project's latest trained model
(issue 14: activations of a block picked on the canvas)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.runtime import RunStore, train
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

GRAPH = {
    "format": "layerloom-graph", "version": 1, "name": "tiny-cnn",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
              {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "padding": 1}},
              {"id": "act", "type": "ReLU"}, {"id": "flat", "type": "Flatten"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [("x", "conv"), ("conv", "act"),
                                                      ("act", "flat"), ("flat", "fc"),
                                                      ("fc", "y")]],
}


def test_selected_block_shows_its_feature_maps_from_the_trained_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    project = DesignerState.new(ProjectStore(), load_graph(GRAPH)).project_id
    store = RunStore(tmp_path / "runs.db")
    run = train(GRAPH, "digits", {"epochs": 1}, store=store)
    store.update(run.run_id, project=project)

    def script(pid: str = ""):
        import streamlit as st

        from layerloom.ui.pages import designer
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
            st.session_state.app.selected = ["conv"]
        designer.render(st.session_state.app)

    at = AppTest.from_function(script, kwargs={"pid": project}, default_timeout=90).run()
    assert not at.exception
    toggle = at.toggle(key="designer.show.conv")
    assert toggle.label == f"Show its output in run #{run.run_id}" and not toggle.value
    assert not [c for c in at.get("plotly_chart")]  # nothing loaded until asked
    toggle.set_value(True).run()
    assert not at.exception and not at.error
    caption = [c.value for c in at.caption if "zeros" in c.value][0]
    assert caption.startswith("[4, 8, 8]")
    maps = [c for c in at.get("plotly_chart") if "channel 3" in c.proto.spec]
    assert len(maps) == 1


def test_an_input_or_output_offers_no_output_to_show(tmp_path, monkeypatch):
    """An Output's inspector offered 'Show its output in run #2', which then said the block
    holds no module: the toggle is not offered for an Input or an Output."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    project = DesignerState.new(ProjectStore(), load_graph(GRAPH)).project_id
    store = RunStore(tmp_path / "runs.db")
    run = train(GRAPH, "digits", {"epochs": 1}, store=store)
    store.update(run.run_id, project=project)

    def script(pid: str = "", node: str = ""):
        import streamlit as st

        from layerloom.ui.pages import designer
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
            st.session_state.app.selected = [node]
        designer.render(st.session_state.app)

    for node in ("x", "y"):
        at = AppTest.from_function(script, kwargs={"pid": project, "node": node},
                                   default_timeout=90).run()
        assert not at.exception
        assert not [t for t in at.toggle if t.label.startswith("Show its output")]
    at = AppTest.from_function(script, kwargs={"pid": project, "node": "fc"},
                               default_timeout=90).run()
    toggle = at.toggle(key="designer.show.fc")
    assert toggle.label == f"Show its output in run #{run.run_id}"
    assert toggle.help.startswith(f"What this block gives for a test sample in run #{run.run_id}")

