"""The Data page's expanders ("Split and seed", the dataset's "Options") are opened by the page
where a value in them is out of range, and are never closed by it: they stay as the user left
them from run to run (AppTest; the browser's side is test_data_expanders_stay_open_browser.py).

"Options" was drawn open only while the run before had refused a value: once the value was
fixed, the next run closed it under the user typing the next option.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def app(template: str) -> AppTest:
    def script(template_name: str = ""):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template(template_name))
        data.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"template_name": template}, default_timeout=60)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def test_the_split_opens_for_a_value_out_of_range_and_stays_open():
    at = app("mlp-tabular").run()
    assert not at.exception
    assert at.session_state["data.split.open"] is False  # closed until wanted
    at.number_input(key="data.val").set_value(0.95).run()
    assert at.session_state["data.split.open"] is True  # what is said there is seen
    at.number_input(key="data.val").set_value(0.1).run()
    at.run()
    assert not at.error and at.session_state["data.split.open"] is True


def test_options_opened_by_a_refused_value_stay_open_once_it_is_fixed():
    at = app("mlp-tabular")
    at.run()
    at.selectbox(key="data.builtin").set_value("moons").run()
    assert not at.exception
    assert at.session_state["data.options.open"] is False
    at.number_input(key="data.opt.moons.noise").set_value(20.0).run()
    at.run()
    assert at.session_state["data.options.open"] is True
    at.number_input(key="data.opt.moons.noise").set_value(0.1).run()
    at.number_input(key="data.opt.moons.n_samples").set_value(300).run()
    at.run()
    assert not [e for e in at.error if "noise" in e.value]
    assert at.session_state["data.options.open"] is True
