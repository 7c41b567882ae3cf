"""date_order per column: a table whose ``ordered`` dates are written day first and whose
``shipped`` dates month first, neither with a number over 12 that shows it. One date_order for
every column read one of them wrong (or refused both); ``date_order='ordered:dmy,
shipped:mdy'`` (the CLI's ``--data-option``, the Data page's box by column) reads each its own
way, and each column's note says how its order was decided."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


def orders(tmp_path):
    """ordered: day first (5 March as 05/03); shipped: month first; days and months both
    1-12 in each. Returns the file and each column's days since its earliest date."""
    path = tmp_path / "orders.csv"
    rows, days = [], {"ordered": [], "shipped": []}
    for i in range(40):
        ordered = dt.date(2024, 1 + i % 12, 1 + (i * 5) % 12)
        shipped = dt.date(2024, 1 + (i * 7) % 12, 1 + i % 12)
        days["ordered"].append(ordered)
        days["shipped"].append(shipped)
        rows.append(f"{ordered:%d/%m/%Y},{shipped:%m/%d/%Y},{i % 5},{'ab'[i % 2]}")
    path.write_text("ordered,shipped,items,label\n" + "\n".join(rows) + "\n")
    return path, {name: [(d - min(ds)).days for d in ds] for name, ds in days.items()}


def raw_days(ds, column: int) -> np.ndarray:
    """The days-since feature of the ``column``-th date column, in the data's units, sorted
    (every row is a training row: val and test are empty)."""
    stats = ds.normalization
    names = ds.meta["features"]
    at = [i for i, name in enumerate(names) if ": days since " in name][column]
    x = ds.x_train.numpy()[:, at] * stats["std"][at] + stats["mean"][at]
    return np.sort(x)


@pytest.mark.parametrize("given", ["ordered:dmy, shipped:mdy", "ordered=dmy,shipped=mdy",
                                   {"ordered": "dmy", "shipped": "mdy"}, "mdy, ordered:dmy",
                                   '{"ordered": "dmy", "shipped": "mdy"}'])
def test_each_date_column_reads_in_the_order_given_for_it(tmp_path, given):
    path, days = orders(tmp_path)
    ds = load_dataset(path, date_order=given, val_fraction=0, test_fraction=0)
    assert {c["name"]: c["order"] for c in ds.meta["columns"] if c["kind"] == "date"} == \
        {"ordered": "dmy", "shipped": "mdy"}
    np.testing.assert_allclose(raw_days(ds, 0), sorted(days["ordered"]), atol=1e-3)
    np.testing.assert_allclose(raw_days(ds, 1), sorted(days["shipped"]), atol=1e-3)
    notes = "\n".join(ds.meta["notes"])
    assert "ordered → 5 columns: days since 2024-01-01, month (sin, cos), weekday (sin, cos); " \
           "read day first (05/03/2024 is 5 March), as date_order for it (ordered:dmy) says" \
        in notes
    shipped_how = "as date_order='mdy' says" if given == "mdy, ordered:dmy" else \
        "as date_order for it (shipped:mdy) says"
    assert f"read month first (05/03/2024 is May 3), {shipped_how}" in notes


def test_one_order_for_every_column_still_reads_and_says_so(tmp_path):
    path, days = orders(tmp_path)
    ds = load_dataset(path, date_order="dmy", val_fraction=0, test_fraction=0)
    assert [c["order"] for c in ds.meta["columns"] if c["kind"] == "date"] == ["dmy", "dmy"]
    assert any(note.startswith("ordered → ") and note.endswith(
        "read day first (05/03/2024 is 5 March), as date_order='dmy' says")
        for note in ds.meta["notes"])


def test_a_column_that_shows_its_order_is_said_to_have_shown_it(tmp_path):
    path = tmp_path / "shown.csv"
    path.write_text("when,label\n" + "".join(f"{d:02d}/03/2024,{'ab'[d % 2]}\n"
                                            for d in range(1, 29)))
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert any(note.endswith("read day first (05/03/2024 is 5 March), as its values show "
                             "('13/03/2024' on line 14)") for note in ds.meta["notes"])


def test_the_refusal_names_the_per_column_setting(tmp_path):
    path, _ = orders(tmp_path)
    with pytest.raises(DataError) as refused:
        load_dataset(path, date_order="ordered:dmy")
    assert str(refused.value).startswith("orders.csv, column 'shipped': holds dates written "
                                         "with the day and the month first")
    assert str(refused.value).endswith("or for this column alone "
                                       "date_order='shipped:dmy' (or 'shipped:mdy')")


@pytest.mark.parametrize(("given", "said"), [
    ("shiped:mdy", "date_order names 'shiped', which is not a column of the file; the "
                   "columns of dates are 'ordered', 'shipped'"),
    ("items:dmy", "date_order names 'items', which holds no dates; the columns of dates are "
                  "'ordered', 'shipped'"),
    ("label:dmy", "date_order names 'label', which is not a feature (the target, or "
                  "dropped); the columns of dates are 'ordered', 'shipped'"),
])
def test_a_column_named_that_is_no_date_column_is_refused_by_name(tmp_path, given, said):
    path, _ = orders(tmp_path)
    with pytest.raises(DataError) as refused:
        load_dataset(path, date_order=given)
    assert said in str(refused.value)


def test_an_order_that_is_none_is_refused_naming_the_column(tmp_path):
    path, _ = orders(tmp_path)
    with pytest.raises(DataError, match=r"option 'date_order' gives column 'ordered' the "
                                        r"order 'ymd'; each column's must be one of 'auto', "
                                        r"'dmy', 'mdy'"):
        load_dataset(path, date_order="ordered:ymd, shipped:mdy")


def test_the_command_line_takes_an_order_a_column(tmp_path, capsys):
    path, _ = orders(tmp_path)
    args = ["validate", "mlp-tabular", "--dataset", str(path), "--set", "features=11",
            "--set", "classes=2"]
    assert main(args + ["--data-option", "date_order=dmy"]) == 0  # shipped read wrongly
    assert main(args + ["--data-option", "date_order=ordered:dmy,shipped:mdy"]) == 0
    assert "fits orders.csv: input [11] float32" in capsys.readouterr().out
    assert main(args) == 1
    assert "or for this column alone --data-option date_order=ordered:dmy" in \
        capsys.readouterr().err
