"""Results page, Try it, for a model trained on a table with a column of order dates written
day first (25/03/2023): the row is edited with its date as a date (not as its days since the
first order and four sines), and an uploaded row's date, written as training wrote them or
year first, predicts as that edited row does; one written month first is refused, naming the
column and the line."""

from __future__ import annotations

import datetime as dt

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import train

from .test_pages_results_edit_row import editor, page, probabilities


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        start = dt.date(2022, 1, 3)
        rows = [f"{(start + dt.timedelta(days=4 * i)).strftime('%d/%m/%Y')},{i % 7}.5,"
                f"{'ab'[(i // 20) % 2]}" for i in range(90)]
        csv = home / "orders.csv"
        csv.write_text("order_date,amount,label\n" + "\n".join(rows) + "\n")
        graph = load_template("mlp-tabular")
        graph.variables.update(features=6, classes=2)
        yield home, train(graph, {"source": str(csv)}, {"epochs": 1}, store=store).run_id


def test_a_rows_date_is_edited_as_a_date_and_an_upload_of_it_predicts_alike(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    assert not at.exception and not at.error
    table = editor(at).value
    assert list(table.columns) == ["order_date", "amount"]
    when = dt.date.fromisoformat(table["order_date"][0])  # a test row's own date
    assert dt.date(2022, 1, 3) <= when <= dt.date(2023, 1, 1)
    shown = probabilities(at)
    at.radio(key="results.how").set_value("Upload a row").run()
    for written in (when.strftime("%d/%m/%Y"), when.isoformat()):
        at.file_uploader(key="results.csv").upload(
            "row.csv", f"order_date,amount\n{written},{table['amount'][0]}\n".encode(),
            "text/csv").run()
        assert not at.exception and not at.error and not at.warning
        assert probabilities(at) == shown


def test_a_date_written_month_first_is_refused_naming_column_and_line(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a row").run()
    at.file_uploader(key="results.csv").upload(
        "row.csv", b"order_date,amount\n03/25/2022,1.5\n", "text/csv").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "column 'order_date', line 2: '03/25/2022' is not a date written day/month/year, " \
           "as the training file wrote the column" in said
