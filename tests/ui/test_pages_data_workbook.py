"""The Data page (ui/pages/data.py, Streamlit's AppTest) on Excel workbooks: the uploader takes
an .xlsx, the label is chosen among its first sheet's columns, a box names another sheet (and
the label's choices follow it), and the sheet read is said beside the preview; an old .xls is
taken so that the loader says to save it as .xlsx or CSV. Both were refused by type."""

from __future__ import annotations

import io

import pytest

from .test_pages_data import load_errors, page, texts

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "people"
    book.active.append(["age", "city", "label"])
    for i in range(40):
        book.active.append([20 + i, ["Lyon", "Nice"][i % 2], "ab"[i % 3 > 0]])
    pets = book.create_sheet("pets")
    pets.append(["weight", "legs", "kind"])
    for i in range(40):
        pets.append([1.5 + i, 4, "cd"[i % 2]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_offers_its_columns_and_another_sheet_by_name():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    assert "xlsx" in at.file_uploader(key="data.file").proto.type or \
        ".xlsx" in at.file_uploader(key="data.file").proto.type
    at.file_uploader(key="data.file").upload("people.xlsx", workbook(),
                                             "application/octet-stream").run()
    assert not at.exception and not load_errors(at)
    assert at.selectbox(key="data.opt.people.xlsx.target").options == \
        ["(default)", "age", "city", "label"]
    assert any("read sheet 'people', one of 2 sheets with data (also 'pets')" in i.value
               for i in at.info)
    at.text_input(key="data.opt.people.xlsx.sheet").set_value("pets").run()
    assert not at.exception and not load_errors(at)
    assert at.selectbox(key="data.opt.people.xlsx.target").options == \
        ["(default)", "weight", "legs", "kind"]
    assert any("read sheet 'pets'" in i.value for i in at.info)


def test_an_old_xls_is_taken_and_told_to_be_saved_as_xlsx_or_csv():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    assert "xls" in at.file_uploader(key="data.file").proto.type or \
        ".xls" in at.file_uploader(key="data.file").proto.type
    at.file_uploader(key="data.file").upload("old.xls", b"\xd0\xcf\x11\xe0" + bytes(508),
                                             "application/vnd.ms-excel").run()
    assert not at.exception
    assert any("save it as an Excel Workbook (.xlsx) or as CSV" in e for e in texts(at.error))
