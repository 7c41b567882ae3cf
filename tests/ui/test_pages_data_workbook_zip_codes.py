"""The Data page reads zip codes an Excel sheet stores as numbers in its zip-code format (00000)
as Excel shows them, 01234: one-hot as codes, said beside the preview, as in a CSV. They were
numbers, 1234, the column standardised."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

openpyxl = pytest.importorskip("openpyxl")


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


def workbook() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["zip", "age", "label"])
    for i in range(40):
        ws.append([[2134, 10001][i % 2], 20 + i % 37, "ab"[i % 2]])
        ws.cell(row=i + 2, column=1).number_format = "00000"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_zip_codes_of_a_workbook_are_codes_and_said():
    at = page().run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload(
        "zips.xlsx", workbook(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert not at.exception
    assert [m for m in at.metric if m.label.startswith("Input")][0].value == "[3] float32"
    assert list(at.dataframe[0].value.columns)[:2] == ["zip=02134", "zip=10001"]
    [note] = [i.value for i in at.info if "How the values were read" in i.value]
    assert ("zip (02134): whole numbers written with leading zeros, read as codes (each value "
            "a category, one-hot), not as numbers") in note
