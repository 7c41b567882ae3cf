"""The Data page (ui/pages/data.py, Streamlit's AppTest) on Parquet and JSON lines files: the
uploader takes them, the label is chosen among their columns as for a CSV, and a bad line is
an error naming it, not a traceback. Both were refused with the line of pandas converting them
to CSV."""

from __future__ import annotations

import io

import pytest

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .test_pages_data import load_errors, page, texts
from .test_pages_data_choice import page as project_page

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def people() -> pd.DataFrame:
    return pd.DataFrame({"age": [20 + i for i in range(40)],
                         "city": [["Lyon", "Nice"][i % 2] for i in range(40)],
                         "label": ["ab"[i % 3 > 0] for i in range(40)]})


def upload(name: str, data: bytes):
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    types = at.file_uploader(key="data.file").proto.type
    assert {".parquet", ".jsonl", ".ndjson"} <= set(types) or \
        {"parquet", "jsonl", "ndjson"} <= set(types)
    at.file_uploader(key="data.file").upload(name, data, "application/octet-stream").run()
    return at


@pytest.mark.parametrize("name", ["people.parquet", "people.jsonl"])
def test_a_parquet_or_jsonl_upload_offers_its_columns_as_a_csv_does(name):
    buffer = io.BytesIO()
    if name.endswith(".parquet"):
        people().to_parquet(buffer)
    else:
        people().to_json(buffer, orient="records", lines=True)
    at = upload(name, buffer.getvalue())
    assert not at.exception and not load_errors(at)
    assert at.selectbox(key=f"data.opt.{name}.target").options == \
        ["(default)", "age", "city", "label"]


def test_a_bad_json_line_is_said_naming_its_line():
    data = b'{"age": 1, "label": "a"}\n{"age": 2, "label": "b",}\n'
    at = upload("bad.jsonl", data)
    assert not at.exception
    assert any("read bad.jsonl: line 2: not valid JSON" in e for e in texts(at.error)), \
        texts(at.error)


def test_a_parquet_kept_with_the_project_is_read_from_its_path_in_a_new_session(home):
    pid = DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id
    buffer = io.BytesIO()
    people().to_parquet(buffer)
    at = project_page("data", pid).run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("people.parquet", buffer.getvalue(),
                                             "application/octet-stream").run()
    assert not at.exception and not load_errors(at)
    assert ProjectStore(home).data_choice(pid)["source"].endswith("people.parquet")
    again = project_page("data", pid).run()  # a reload: the file read from its path on disk
    assert not again.exception and not load_errors(again)
    assert "Using people.parquet (uploaded before)." in [c.value for c in again.caption]
    assert again.selectbox(key="data.opt.people.parquet.target").options == \
        ["(default)", "age", "city", "label"]
