"""The Data page's uploader takes the workbooks LayerLoom does not read (.xls, .xlsm, .xlsb,
.ods), so that the loader says what to save each as; it refused their type without a word why."""

from __future__ import annotations


def test_the_data_pages_uploader_takes_them(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))

    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("mlp-tabular"))
        data.render(st.session_state.app)

    at = AppTest.from_function(script, default_timeout=60).run()
    at.radio(key="data.source").set_value("Upload a file").run()
    accepted = list(at.file_uploader(key="data.file").proto.type)
    assert {".xlsx", ".xls", ".xlsm", ".xlsb", ".ods"} <= set(accepted)
