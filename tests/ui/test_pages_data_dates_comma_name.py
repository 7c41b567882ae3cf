"""The Data page (AppTest) on a table whose undecided date column's name holds a comma
("Datum, bestellt", as German exports write it): the "Read 'Datum, bestellt' day first" button
sets ``Datum, bestellt:dmy`` in the box of orders by column, and the file loads. The loader
split that text at the comma and refused it ("gives column '*' the order 'Datum'"), so the
page's own button could not get past its own error."""

from __future__ import annotations

import datetime as dt

import pytest

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def orders() -> bytes:
    rows = [f"{dt.date(2024, 1 + i % 12, 1 + (i * 5) % 12):%d/%m/%Y},{i % 7},{'ab'[i % 2]}"
            for i in range(60)]
    return ('"Datum, bestellt",items,label\n' + "\n".join(rows) + "\n").encode()


def test_the_button_for_a_date_column_named_with_a_comma_loads_the_file():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("orders.csv", orders(), "text/csv").run()
    assert not at.exception
    [error] = load_errors(at)
    assert error.startswith("Could not read orders.csv: column 'Datum, bestellt': holds dates")
    [button] = [b for b in at.button if b.key == "data.date_order.dmy"]
    button.click().run()
    assert not at.exception and not load_errors(at)
    assert at.text_input(key="data.opt.orders.csv.date_order.columns").value == \
        "Datum, bestellt:dmy"
    notes = " ".join(texts(at.info)).replace("\\", "")
    assert "read day first (05/03/2024 is 5 March), as **date order by column** (Datum, " \
           "bestellt:dmy) says" in notes
