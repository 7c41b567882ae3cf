"""Results page, Try it → Edit a row (AppTest) on a table with a column of categories: the row
is edited in the file's own columns (region: a choice of north, south, …), not in the model's
one-hot features (region=east, region=north: 0s and 1s a newcomer must keep consistent), and
the prediction is the one an uploaded row with the same values gets (and predict.py's)."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph.templates import load_template
from layerloom.runtime import train

from results_page import results_page

TIMEOUT = 60


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        rng = np.random.default_rng(0)
        regions = ["north", "south", "east", "west"]
        rows = [f"{20 + i % 50},{30000 + 211 * i},{regions[i % 4]},"
                f"{['gold', 'silver', 'bronze'][int(rng.integers(3))]}" for i in range(90)]
        csv = home / "customers.csv"
        csv.write_text("age,income,region,tier\n" + "\n".join(rows) + "\n")
        graph = load_template("mlp-tabular")
        graph.variables["features"] = 6
        yield home, train(graph, {"source": str(csv)}, {"epochs": 1}, store=store).run_id


def page(home, monkeypatch, run_id: int) -> AppTest:
    return results_page(home, monkeypatch, run_id, "mlp-tabular", TIMEOUT)


def editor(at):
    [frame] = [e for e in at.dataframe if "results.row" in e.proto.id]
    return frame


def probabilities(at) -> str:
    [bars] = [c.proto.spec for c in at.get("plotly_chart")
              if '"Class probabilities"' in c.proto.spec]
    return bars


def test_a_row_is_edited_in_the_files_columns_with_its_categories_to_choose(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    assert not at.exception and not at.error
    proto = editor(at).proto
    table = editor(at).value
    assert list(table.columns) == ["age", "income", "region"]
    assert table["region"][0] in ("north", "south", "east", "west")
    assert '"options":["east","north","south","west"]' in proto.columns.replace(" ", "")
    shown = probabilities(at)
    # the same values uploaded as a CSV row give the same probabilities
    row = table.iloc[0]
    at.radio(key="results.how").set_value("Upload a row").run()
    at.file_uploader(key="results.csv").upload(
        "row.csv", f"age,income,region\n{row['age']},{row['income']},{row['region']}\n".encode(),
        "text/csv").run()
    assert not at.exception and not at.error
    assert probabilities(at) == shown


def test_the_most_confidently_wrong_rows_are_shown_in_the_files_columns(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    [wrong] = [d.value for d in at.dataframe if "predicted" in d.value.columns]
    assert list(wrong.columns) == ["age", "income", "region", "class", "predicted",
                                   "confidence"]
    assert set(wrong["region"]) <= {"north", "south", "east", "west"}
