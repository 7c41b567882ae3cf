"""The Data page shows class labels written with leading zeros as written (01, 007, not 1, 7),
in its preview and class count, and says beside the preview that they and a column of zip
codes were read as codes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def page():
    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("mlp-tabular"))
        data.render(st.session_state.app)

    return AppTest.from_function(script, default_timeout=60)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))


def test_codes_are_shown_as_written_and_said():
    labels, zips = ["01", "02", "10", "007", "7"], ["02134", "02139", "10001", "94105"]
    rows = "\n".join(f"{zips[i % 4]},{20 + i % 37},{labels[i % 5]}" for i in range(60))
    at = page().run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("codes.csv", b"zip,age,label\n" + rows.encode(),
                                             "text/csv").run()
    assert not at.exception
    assert [m for m in at.metric if m.label.startswith("Classes")][0].value == "5"
    table = at.dataframe[0].value
    assert set(table["class"]) == set(labels)  # were 1, 2, 7 and 10
    [note] = [i.value for i in at.info if "How the values were read" in i.value]
    assert ("zip (02134): whole numbers written with leading zeros, read as codes (each value "
            "a category, one-hot), not as numbers") in note
    assert "'007' and '7' are different classes" in note


def test_numbers_box_reads_the_codes_as_numbers():
    rows = "\n".join(f"{['02134', '10001'][i % 2]},{20 + i % 37},{'ab'[i % 2]}" for i in range(40))
    at = page().run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("zips.csv", b"zip,age,label\n" + rows.encode(),
                                             "text/csv").run()
    [note] = [i.value for i in at.info if "How the values were read" in i.value]
    assert "not as numbers; to read it as numbers, choose it under **numbers**" in note
    assert [m for m in at.metric if m.label.startswith("Input")][0].value == "[3] float32"
    at.multiselect(key="data.opt.zips.csv.numbers").set_value(["zip"]).run()
    assert not at.exception
    assert [m for m in at.metric if m.label.startswith("Input")][0].value == "[2] float32"
    assert not [i for i in at.info if "leading zeros" in i.value]
