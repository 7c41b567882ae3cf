"""A project that fails to open (issue 11) opens the app anyway: the problem is shown and the
project's snapshots are offered, any of which opens as a new project (AppTest)."""

from __future__ import annotations


from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test, shown, toasted


def test_a_project_that_no_longer_reads_offers_its_snapshots(home, canvas):
    store = ProjectStore()
    graph = load_template("mlp-tabular")
    pid = store.create(graph)
    store.snapshot(pid, "good one", graph)
    (store.projects / pid / "graph.json").write_text("[" * 100_000 + "]" * 100_000)

    at = app_test()
    at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["project"] != pid  # the app opened, on another project
    warnings = [shown(w.value) for w in at.warning]
    assert any(w.startswith(f"Project {pid} could not be opened: ") for w in warnings), warnings
    assert at.selectbox(key=f"unopened:snap:{pid}").options[0].startswith("good one (")
    at.button(key=f"unopened:open:{pid}").click().run()
    assert not at.exception, at.exception
    opened = at.query_params["project"]
    assert opened != pid and store.load(opened).graph.to_dict()["nodes"] == \
        graph.to_dict()["nodes"]
    assert any("Opened snapshot “good one" in t for t in toasted(at)) and not at.success
    assert not any("could not be opened" in shown(w.value) for w in at.warning)
    # its banner (kept until dismissed or resolved) went with it: opened, it is resolved
    assert not any(f"Could not open project {pid}" in shown(w.value) for w in at.warning)


def test_a_damaged_runs_database_is_said_on_the_run_pages(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    (tmp_path / "runs.db").write_bytes(bytes(range(256)) * 32)

    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import runs, train
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(),
                                                     load_template("mlp-tabular"))
        for page in (runs, train):
            try:
                page.render(st.session_state.app)
            except Exception as exc:  # noqa: BLE001 - as the app's guard shows it
                st.error(f"guard: {exc}")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 2, errors
    for text in errors:
        assert text.startswith(("The Runs page failed: the runs database ",
                                "The Train page failed: the runs database ")), text
        assert "runs.db is damaged or is not a LayerLoom database" in text
        assert "move it aside" in text
