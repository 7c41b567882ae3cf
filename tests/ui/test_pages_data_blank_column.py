"""The Data page (AppTest) on a table whose named last column no row fills (a spreadsheet's
``notes``, exported as CSV): it is read, the label is the last column with values, and the
page says so and names the column left out. It showed "Could not read forms.csv: column
'notes': is blank on every row"."""

from __future__ import annotations

import pytest

from .test_pages_data import load_errors, page, texts
from .test_pages_data_id_column import notes


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def forms() -> bytes:
    rows = [f"{i};{2 * i},5;{'xy'[i % 2]};" for i in range(40)]
    return ("\ufeffa;b;label;notes\r\n" + "\r\n".join(rows) + "\r\n").encode()


def test_a_blank_last_column_is_left_out_and_the_page_says_what_is_predicted():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("forms.csv", forms(), "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[:3] == ["classification", "[2] float32", "2"]
    said = [c.value for c in at.caption if c.value.startswith("Predicts ")]
    assert said == ["Predicts **label** (the last column with values; choose another under "
                    "**target**) from 2 columns: a, b. Left out: notes."]
    assert ("notes: empty on every row, left out: it tells the model nothing (the label is "
            "'label', the last column with values)") in notes(at)
