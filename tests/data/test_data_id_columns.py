"""Columns that are features only in form: a row id, a name on every row. They are read as
the loader reads them (numbers, one-hot categories) and said, with the drop option that leaves
them out, in ``meta["notes"]`` (a date is made numbers a model learns from, and said as such) (the Data page, ``validate --dataset`` and
``train`` show them)."""

from __future__ import annotations

from layerloom.cli import main
from layerloom.runtime.data import load_dataset


def _write(path, header: str, rows: list[str]) -> str:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def test_ids_and_dates_are_named_with_the_drop_that_leaves_them_out(tmp_path, capsys):
    rows = [f"{i},C{1000 + i},2023-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 7 * 0.5},"
            f"{'yes' if i % 3 else 'no'}" for i in range(40)]
    path = _write(tmp_path / "customers.csv", "row_id,customer,signup,spend,label", rows)
    notes = load_dataset(path, val_fraction=0.0, test_fraction=0.0).meta["notes"]
    assert notes == [
        "signup → 5 columns: days since 2023-01-01, month (sin, cos), weekday (sin, cos)",
        "row_id: a different whole number on every row, named like an id: as a feature it only "
        "adds noise; drop it with drop=['row_id'] unless its value means something",
        "customer: 40 different values in 40 training rows (an id or a name?): as one-hot "
        "columns they cannot carry over to new rows; drop it with drop=['customer'] unless its "
        "values repeat in the data to come"]  # a date is made numbers: no advice
    kept = load_dataset(path, drop=("row_id", "customer", "signup"))
    assert "notes" not in kept.meta and kept.input_shape == (1,)
    assert main(["validate", "mlp-tabular", "-d", path, "--set", "features=2",
                 "--set", "classes=2", "--data-option", 'drop=["customer","signup"]']) == 0
    err = capsys.readouterr().err
    assert "note: row_id: a different whole number on every row" in err
    assert "customer" not in err


def test_ordinary_columns_get_no_such_note(tmp_path):
    rows = [f"{i % 5},{['red', 'blue', 'green'][i % 3]},{i % 4}.5,{i % 2}" for i in range(60)]
    path = _write(tmp_path / "plain.csv", "id_group,colour,size,label", rows)
    assert "notes" not in load_dataset(path).meta  # id_group repeats: not a row id
