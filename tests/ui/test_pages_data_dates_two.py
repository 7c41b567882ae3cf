"""The Data page (AppTest) on a user's orders with two date columns, each in its own day/month
order: the ordered dates never show theirs (no day over 12), the shipped ones show month first
(12/13/2024). The page asks for the first column's order; its "Read 'ordered' day first" button
sets that column's order in the box of orders by column and loads the file, and the notes say
how each column's order was decided (ordered as set for it, shipped as its values show), and
times with UTC offsets as UTC times."""

from __future__ import annotations

import datetime as dt

import pytest

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def orders() -> bytes:
    rows = []
    for i in range(60):
        ordered = dt.date(2024, 1 + i % 12, 1 + (i * 5) % 12)
        shipped = dt.date(2024, 12, 13 + i % 15)
        seen = f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:15:00{'+02:00' if i % 2 else 'Z'}"
        rows.append(f"{ordered:%d/%m/%Y},{shipped:%m/%d/%Y},{seen},{i % 7},{'ab'[i % 2]}")
    return ("ordered,shipped,seen,items,label\n" + "\n".join(rows) + "\n").encode()


def test_two_date_columns_of_two_orders_load_with_one_click_and_are_said():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("orders.csv", orders(), "text/csv").run()
    assert not at.exception
    [error] = load_errors(at)
    assert error.startswith("Could not read orders.csv: column 'ordered': holds dates written "
                            "with the day and the month first")
    [button] = [b for b in at.button if b.key == "data.date_order.dmy"]
    assert button.label == "Read 'ordered' day first (05/03/2024 is 5 March)"
    button.click().run()
    assert not at.exception and not load_errors(at)
    assert at.text_input(key="data.opt.orders.csv.date_order.columns").value == "ordered:dmy"
    assert at.selectbox(key="data.opt.orders.csv.date_order").value == "auto"
    notes = " ".join(texts(at.info)).replace("\\", "")  # markdown escapes (00\\:15) aside
    assert "read day first (05/03/2024 is 5 March), as **date order by column** (ordered:dmy) " \
           "says" in notes
    assert "read month first (05/03/2024 is May 3), as its values show ('12/13/2024' on line " \
           "2)" in notes
    assert "seen: times with a UTC offset read as UTC times ('2024-03-01T00:15:00Z' on line " \
           "2 is 2024-03-01 00:15 UTC)" in notes
