"""A new row for a trained table model (the Results page's Try it, Look inside, ``layerloom
explain --input``) is read from any table a dataset is read from: CSV, TSV, .txt, .xlsx,
Parquet, JSON lines, as the bundle's predict.py reads it. Only a CSV was read: a Parquet
file's bytes were decoded as text, and explain read a CSV as comma-separated, so a row
exported with ';' between values had none of the model's columns."""

from __future__ import annotations

import io

import numpy as np
import pytest

from layerloom.runtime.attributions import ExplainError
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.preprocessing import encode_row, input_columns, table_rows
from layerloom.runtime.explain_run import read_input

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
openpyxl = pytest.importorskip("openpyxl")

ROW = {"age": 41, "income": 52000.5, "region": "south"}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    regions = ["north", "south", "east", "west"]
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    path.write_text("age,income,region,label\n" + "".join(
        f"{20 + i % 50},{30000 + 211 * i},{regions[i % 4]},{'ab'[i % 3 > 0]}\n"
        for i in range(60)))
    return load_dataset(path)


def written(suffix: str) -> bytes:
    frame, out = pd.DataFrame([ROW]), io.BytesIO()
    if suffix == ".parquet":
        frame.to_parquet(out)
    elif suffix in (".jsonl", ".ndjson"):
        frame.to_json(out, orient="records", lines=True)
    elif suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.active.append(list(ROW))
        book.active.append(list(ROW.values()))
        book.save(out)
    else:
        sep = {".csv": ",", ".tsv": "\t", ".txt": "\t", ".data": ","}[suffix]
        return (sep.join(ROW) + "\r\n" + sep.join(map(str, ROW.values())) + "\r\n").encode()
    return out.getvalue()


@pytest.mark.parametrize("suffix", [".tsv", ".txt", ".xlsx", ".parquet", ".jsonl", ".ndjson"])
def test_a_row_in_any_table_encodes_as_the_same_row_in_a_csv(ds, suffix):
    columns = input_columns(ds)
    [csv_row] = table_rows("row.csv", written(".csv"), columns)
    [row] = table_rows(f"row{suffix}", written(suffix), columns)
    np.testing.assert_array_equal(encode_row(row, ds), encode_row(csv_row, ds))


def test_a_file_that_is_not_what_its_name_says_is_one_line_naming_it(ds):
    with pytest.raises(DataError, match=r"^row\.parquet: cannot be read as a Parquet file "
                                        r"\(") as caught:
        table_rows("row.parquet", written(".csv"), input_columns(ds))
    assert "layerloom-row-" not in str(caught.value)  # its name, not its copy's
    with pytest.raises(DataError, match=r"^row\.xlsx: cannot be read as an \.xlsx workbook"):
        table_rows("row.xlsx", written(".csv"), input_columns(ds))
    with pytest.raises(DataError, match=r"^row\.jsonl, line 1: not valid JSON"):
        table_rows("row.jsonl", written(".csv"), input_columns(ds))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".xlsx", ".txt"])
def test_explain_reads_a_row_from_any_table(ds, tmp_path, suffix):
    path = tmp_path / f"row{suffix}"
    path.write_bytes(written(suffix))
    expected = read_input({k: str(v) for k, v in ROW.items()}, ds)
    np.testing.assert_allclose(read_input(path, ds).numpy(), expected.numpy())


def test_explain_reads_a_csv_with_semicolons_as_excel_saves_it(ds, tmp_path):
    path = tmp_path / "row.csv"
    path.write_bytes(("\ufeffage;income;region\r\n41;52000,5;south\r\n").encode())
    expected = read_input({k: str(v) for k, v in ROW.items()}, ds)
    np.testing.assert_allclose(read_input(path, ds).numpy(), expected.numpy())


def test_explain_names_the_line_and_column_of_a_value_it_cannot_read(ds, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"age": 41, "income": {"net": 5}, "region": "x"}\n')
    with pytest.raises(ExplainError, match=r"rows\.jsonl, line 1, column 'income': holds an "
                                           r"object, not one value"):
        read_input(path, ds)


def test_a_workbooks_numbers_are_not_said_to_be_written_with_a_decimal_point(tmp_path):
    """A model trained on a CSV of decimal commas: a row from a workbook, whose cells hold
    numbers, was said to 'write numbers with a decimal point (line 2: 1234.5), the training
    file with a decimal comma'; a CSV row written with points still is."""
    path = tmp_path / "eu.csv"
    path.write_text("a;b;label\n" + "".join(f"{i},5;{i % 7};{'xy'[i % 2]}\n" for i in range(40)))
    ds = load_dataset(path)
    book, out = openpyxl.Workbook(), io.BytesIO()
    book.active.append(["a", "b"])
    book.active.append([3.5, 2])
    book.save(out)
    notes: list = []
    [row] = table_rows("row.xlsx", out.getvalue(), input_columns(ds), notes)
    assert row["a"] == 3.5 and notes == []
    table_rows("row.csv", b"a,b\n3.5,2\n", input_columns(ds), notes)
    assert len(notes) == 1 and "decimal point" in notes[0]
