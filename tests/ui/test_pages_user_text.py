"""User text is text on the app's pages (issue 11): a run's name and failure reason holding
Markdown or HTML are shown as typed, not as markup (AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore
from layerloom.runtime.config import TrainConfig

EVIL = "**bold** [click](http://evil.example) <img src=x onerror=alert(1)> :red[x]"
GRAPH = {"format": "layerloom-graph", "version": 1, "name": "g", "nodes": [], "edges": []}


def test_failure_reasons_and_run_names_render_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("name " + EVIL, GRAPH, {"source": "iris"},
                              TrainConfig(epochs=1).to_dict())
    store.set_status(run_id, "failed", "reason " + EVIL)
    store.close()

    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.runtime import RunStore
        from layerloom.ui.pages import runs, train
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(),
                                                     load_template("mlp-tabular"))
        runs.render(st.session_state.app)
        train.status_line(RunStore().get(1))

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    escaped = ("\\*\\*bold\\*\\* \\[click\\](http\\://evil.example) \\<img src=x "
               "onerror=alert(1)\\> \\:red\\[x\\]")
    assert [m.value for m in at.markdown if "reason" in m.value] == \
        [f"**#{run_id}** reason {escaped}"]
    assert [e.value for e in at.error] == [f"The run failed: reason {escaped}"]
