"""The Data page (ui/pages/data.py, Streamlit's AppTest) on UCI's .data files: the uploader
takes them, the label is chosen among the columns named for a file without a header, and how
they were named is said beside the preview. They were refused by type."""

from __future__ import annotations

import pytest

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def test_a_space_separated_data_file_offers_its_named_columns_as_the_label():
    rows = [f"  {i % 7}.5   {i}  {'ab'[i % 2]}" for i in range(40)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    assert "data" in at.file_uploader(key="data.file").proto.type or \
        ".data" in at.file_uploader(key="data.file").proto.type
    at.file_uploader(key="data.file").upload("pets.data", "\n".join(rows).encode(),
                                             "application/octet-stream").run()
    assert not at.exception and not load_errors(at)
    assert at.selectbox(key="data.opt.pets.data.target").options == \
        ["(default)", "column 1", "column 2", "column 3"]
    assert texts(at.metric)[:3] == ["classification", "[2] float32", "2"]
    assert any("no header row: the 3 columns are named column 1 … column 3" in i.value
               for i in at.info)
