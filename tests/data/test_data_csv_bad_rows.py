"""A CSV with a few bad rows (a value too many, a row cut short) is refused naming every such
row at once, with how many values each holds: it named the first only, so a user fixed line 6,
loaded the file again, was refused at line 10, and so on, one round trip a row."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


def table(tmp_path, bad: dict[int, str], rows: int = 40, name: str = "bad.csv"):
    """A 3-column table of ``rows`` rows; ``bad`` replaces the rows at those positions (row 0
    is on line 2)."""
    lines = [f"0.{i},{i % 7},{'xy'[i % 2]}" for i in range(rows)]
    for i, row in bad.items():
        lines[i] = row
    path = tmp_path / name
    path.write_text("a,b,label\n" + "\n".join(lines) + "\n")
    return path


def test_every_bad_row_is_named_at_once_with_its_values(tmp_path):
    path = table(tmp_path, {4: "0.1,0.2", 8: "0.1,0.2,x,y", 29: "oops"})
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value) == (
        "bad.csv, line 6: 2 values, but the header has 3 columns; so do 2 more rows: line 10 "
        "(4 values) and line 31 (1 value)")
    assert refused.value.line == 6


def test_one_bad_row_is_said_as_before(tmp_path):
    with pytest.raises(DataError) as refused:
        load_dataset(table(tmp_path, {8: "0.1,0.2,x,y"}))
    assert str(refused.value) == "bad.csv, line 10: 4 values, but the header has 3 columns"


def test_many_bad_rows_are_counted_and_the_first_named(tmp_path):
    path = table(tmp_path, {i: f"0.{i},1,x,{i}" for i in range(10, 40, 2)})
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value) == (
        "bad.csv, line 12: 4 values, but the header has 3 columns; so do 14 more rows: line "
        "14 (4 values), line 16 (4 values), line 18 (4 values), line 20 (4 values), line 22 "
        "(4 values), line 24 (4 values), line 26 (4 values), line 28 (4 values) and 6 more")


def test_a_quote_left_open_after_a_bad_row_still_names_the_bad_row(tmp_path):
    path = table(tmp_path, {4: "0.1,0.2", 20: '0.5,"3,x'})
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value).startswith("bad.csv, line 6: 2 values, but the header has 3 "
                                         "columns")


def test_the_command_line_names_every_bad_row(tmp_path, capsys):
    path = table(tmp_path, {4: "0.1,0.2", 8: "0.1,0.2,x,y"})
    args = ["validate", "mlp-tabular", "--dataset", str(path), "--set", "features=2",
            "--set", "classes=2"]
    assert main(args) == 1
    assert "line 6: 2 values, but the header has 3 columns; so does 1 more row: line 10 (4 " \
           "values)" in capsys.readouterr().err


def test_a_row_of_one_value_is_said_in_the_singular(tmp_path):
    with pytest.raises(DataError) as refused:
        load_dataset(table(tmp_path, {3: "oops", 7: "0.1"}))
    assert str(refused.value) == ("bad.csv, line 5: 1 value, but the header has 3 columns; "
                                  "so does 1 more row: line 9 (1 value)")
