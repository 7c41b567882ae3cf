"""CSV files as spreadsheets and scripts write them: without a header row (refused, naming the
line, instead of losing the first row to column names) and with a delimiter ending every line
(no phantom empty column taken as the target), and with decimal commas between semicolons."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.csvfile import read_table

SPECIES = ("setosa", "versicolor", "virginica")


def iris_like(rows=30, end=""):
    rng = np.random.default_rng(0)
    return [",".join(f"{v:.3f}" for v in rng.normal(size=4)) + f",{SPECIES[i % 3]}{end}"
            for i in range(rows)]


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lines", [
    iris_like(),  # a text label: not every value of line 1 is a number
    [",".join(f"{(i * 7 + j) % 5 * 0.5}" for j in range(4)) + f",{i % 2}" for i in range(30)],
    # a first row with a number twice: said as a missing header, not as a column named twice
    ["1.5,1,1.1,1,1"] + [f"{i % 3}.5,{i % 2},{i % 4}.1,{i % 5},{i % 2}" for i in range(30)],
])
def test_a_csv_without_a_header_row_is_refused_naming_line_1(tmp_path, lines):
    path = write(tmp_path / "noheader.csv", lines)
    with pytest.raises(DataError, match=r"^noheader\.csv, line 1: looks like data, not column "
                                        r"names \('.*', …\): add a header row"):
        load_dataset(path)


def test_the_header_line_is_named_where_blank_lines_come_first(tmp_path):
    path = write(tmp_path / "late.csv", ["", *iris_like()])
    with pytest.raises(DataError, match=r"^late\.csv, line 2: looks like data"):
        load_dataset(path)


@pytest.mark.parametrize(("header", "names"), [
    ("0,1,2,3,4", ["0", "1", "2", "3", "4"]),  # pandas' unnamed columns
    ("1,2,3,4,5", ["1", "2", "3", "4", "5"]),
    ("f1,f2,2020,2021,species", ["f1", "f2", "2020", "2021", "species"]),  # years as names
])
def test_headers_of_numbers_that_are_names_are_kept(tmp_path, header, names):
    path = write(tmp_path / "named.csv", [header, *iris_like()])
    table = read_table(path)
    assert table.header == names and len(table.rows) == 30
    assert load_dataset(path, seed=0).meta["target"] == names[-1]


def test_a_header_row_keeps_all_the_data_rows(tmp_path):
    ds = load_dataset(write(tmp_path / "iris.csv", ["a,b,c,d,species", *iris_like()]), seed=0)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 30


def test_a_delimiter_ending_every_line_makes_no_column(tmp_path):
    path = write(tmp_path / "trailcomma.csv", ["f1,f2,f3,f4,species,", *iris_like(end=",")])
    table = read_table(path)
    assert table.header == ["f1", "f2", "f3", "f4", "species"]
    assert all(len(row) == 5 for row in table.rows) and table.rows[0][-1] == "setosa"
    ds = load_dataset(path, seed=0)
    assert ds.input_shape == (4,) and ds.meta["target"] == "species"
    assert ds.classes == list(SPECIES)


def test_an_unnamed_last_column_with_values_is_kept(tmp_path):
    lines = ["f1,f2,f3,f4,species,", *[line + f",{i}" for i, line in enumerate(iris_like())]]
    table = read_table(write(tmp_path / "extra.csv", lines))
    assert table.header[-1] == "column 6" and table.rows[3][-1] == "3"


def test_a_tsv_with_a_trailing_tab_makes_no_column(tmp_path):
    lines = ["f1\tf2\tf3\tf4\tspecies\t", *[line.replace(",", "\t") + "\t" for line in iris_like()]]
    path = write(tmp_path / "trail.tsv", lines)
    assert read_table(path).header == ["f1", "f2", "f3", "f4", "species"]


def test_numbers_with_decimal_commas_between_semicolons_are_numbers(tmp_path):
    """A spreadsheet saved in much of Europe: ';' between values, ',' for the decimal point.
    The columns are numbers (they were one-hot 'categories', too many to use)."""
    rows = ["f1;f2;note;label"] + [f"{i / 10:.2f};-{i},5;a,b{i % 2};{'yes' if i % 2 else 'no'}"
                                   .replace(".", ",", 1) for i in range(40)]
    path = tmp_path / "eu.csv"
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path, seed=0, val_fraction=0, test_fraction=0, drop=["note"])
    assert ds.input_shape == (2,) and ds.classes == ["no", "yes"]
    norm = ds.normalization  # standardised per feature: back to the file's numbers
    raw = ds.x_train.numpy() * np.array(norm["std"]) + np.array(norm["mean"])
    got = sorted(map(tuple, raw.round(3).tolist()))
    want = sorted((round(i / 10, 3), -(i + 0.5)) for i in range(40))
    assert got == want
