"""A table's width in a fit problem is counted for a newcomer: a file of 5 columns, one of them
4 categories, gives [8] values per sample, and the problem says why (it read "customers.csv
gives [8] per sample" of a file with 5 feature columns, and nothing said where 8 came from)."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import load_dataset
from layerloom.runtime.data.fit import check_fit


def test_a_tables_one_hot_columns_are_counted_in_the_input_problem(tmp_path):
    regions = ["north", "south", "east", "west"]
    rows = [f"{20 + i % 50},{30000 + 211 * i},0.{i % 9},{i % 7},{regions[i % 4]},{'ab'[i % 2]}"
            for i in range(80)]
    csv = tmp_path / "customers.csv"
    csv.write_text("age,income,score,visits,region,tier\n" + "\n".join(rows) + "\n")
    fit = check_fit(load_template("mlp-tabular"), load_dataset(str(csv)))
    [problem] = [p for p in fit.problems if p.node == "features"]
    assert problem.message == (
        "the Input is [4] but customers.csv gives [8] per sample (its 5 columns, region as "
        "4 one-hot columns, one per category).")


def test_a_table_of_numbers_only_is_said_as_before(tmp_path):
    csv = tmp_path / "numbers.csv"
    csv.write_text("a,b,c,y\n" + "\n".join(f"{i},{i % 3},{i % 5},{i % 2}" for i in range(40)))
    fit = check_fit(load_template("mlp-tabular"), load_dataset(str(csv)))
    [problem] = [p for p in fit.problems if p.node == "features"]
    assert problem.message == "the Input is [4] but numbers.csv gives [3] per sample."


def test_a_date_columns_features_are_counted_in_the_input_problem(tmp_path):
    rows = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00,{i % 7},{'ab'[i % 2]}"
            for i in range(80)]
    csv = tmp_path / "visits.csv"
    csv.write_text("seen,visits,label\n" + "\n".join(rows) + "\n")
    ds = load_dataset(str(csv), val_fraction=0, test_fraction=0)
    fit = check_fit(load_template("mlp-tabular"), ds)
    [problem] = [p for p in fit.problems if p.node == "features"]
    assert problem.message == (
        "the Input is [4] but visits.csv gives [8] per sample (its 2 columns, seen as 7 columns "
        "of its date (days since 2024-01-01, month, weekday and hour as sine and cosine)).")
