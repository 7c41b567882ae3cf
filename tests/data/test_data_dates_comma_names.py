"""date_order's plain form for a date column whose name holds a comma (``"Datum, bestellt"``,
a header in quotes, as German and French exports write them): ``'Datum, bestellt:dmy'``
reads that column day first, as the refusal itself suggests and as the Data page's button and
box write it. The comma split the name into ``Datum`` and ``bestellt``, and the option was
refused as "gives column '*' the order 'Datum'", so only the JSON form worked."""

from __future__ import annotations

import datetime as dt

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


def orders(tmp_path):
    """'Datum, bestellt' day first and 'shipped, on' month first, neither with a number
    over 12 that shows it."""
    path = tmp_path / "orders.csv"
    rows = []
    for i in range(40):
        ordered = dt.date(2024, 1 + i % 12, 1 + (i * 5) % 12)
        shipped = dt.date(2024, 1 + (i * 7) % 12, 1 + i % 12)
        rows.append(f"{ordered:%d/%m/%Y},{shipped:%m/%d/%Y},{i % 5},{'ab'[i % 2]}")
    path.write_text('"Datum, bestellt","shipped, on",items,label\n' + "\n".join(rows) + "\n")
    return path


def read_orders(ds) -> dict[str, str]:
    return {c["name"]: c["order"] for c in ds.meta["columns"] if c["kind"] == "date"}


@pytest.mark.parametrize("given", ["Datum, bestellt:dmy, shipped, on:mdy",
                                   "Datum, bestellt = dmy,shipped, on = mdy",
                                   "mdy, Datum, bestellt:dmy"])
def test_a_column_name_with_a_comma_takes_its_order_in_the_plain_form(tmp_path, given):
    ds = load_dataset(orders(tmp_path), date_order=given, val_fraction=0, test_fraction=0)
    assert read_orders(ds) == {"Datum, bestellt": "dmy", "shipped, on": "mdy"}
    assert any(note.endswith("read day first (05/03/2024 is 5 March), as date_order for it "
                             "(Datum, bestellt:dmy) says") for note in ds.meta["notes"])


def test_the_setting_the_refusal_suggests_is_taken(tmp_path):
    path = orders(tmp_path)
    with pytest.raises(DataError) as refused:
        load_dataset(path, date_order="shipped, on:mdy")
    assert str(refused.value).endswith("or for this column alone "
                                       "date_order='Datum, bestellt:dmy' (or 'Datum, "
                                       "bestellt:mdy')")
    suggested = str(refused.value).split("date_order='")[-1].split("'")[0]
    ds = load_dataset(path, date_order=f"shipped, on:mdy, {suggested}")
    assert read_orders(ds) == {"Datum, bestellt": "dmy", "shipped, on": "mdy"}


def test_a_part_that_is_neither_an_order_nor_a_column_is_refused_as_such(tmp_path):
    with pytest.raises(DataError, match=r"option 'date_order' must be one of 'auto', 'dmy', "
                                        r"'mdy', or one a column \('ordered:dmy, "
                                        r"shipped:mdy'\), got 'Datum, bestellt'"):
        load_dataset(orders(tmp_path), date_order="Datum, bestellt")


def test_the_command_line_takes_the_plain_form(tmp_path, capsys):
    args = ["validate", "mlp-tabular", "--dataset", str(orders(tmp_path)), "--set",
            "features=11", "--set", "classes=2", "--data-option",
            "date_order=Datum, bestellt:dmy, shipped, on:mdy"]
    assert main(args) == 0
    assert "fits orders.csv: input [11] float32" in capsys.readouterr().out
