"""A file whose extension lies (a Parquet file, an Excel workbook, a picture named ``.csv``; a
Parquet file named ``.jsonl``) is refused naming what it holds and how to load it. A Parquet
file named .csv was 'line 1: holds binary data (NUL bytes), not text; save the file as CSV
UTF-8', a workbook 'an Excel workbook (.xlsx) or another zip file', and the Results page's
Try it read such a row as a table of one garbled column."""

from __future__ import annotations

import gzip
import io

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.preprocessing import table_rows

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
openpyxl = pytest.importorskip("openpyxl")

FRAME = pd.DataFrame({"a": range(20), "b": [i * 0.5 for i in range(20)],
                      "label": ["xy"[i % 2] for i in range(20)]})


def parquet() -> bytes:
    out = io.BytesIO()
    FRAME.to_parquet(out)
    return out.getvalue()


def workbook() -> bytes:
    book, out = openpyxl.Workbook(), io.BytesIO()
    for row in [list(FRAME.columns), *FRAME.values.tolist()]:
        book.active.append(row)
    book.save(out)
    return out.getvalue()


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    return out.getvalue()


CASES = {
    "parquet": ("sales.csv", parquet, "sales.csv: is a Parquet file, not CSV text, though its "
                "name ends in .csv: rename it sales.parquet and load that"),
    "workbook": ("sales.csv", workbook, "sales.csv: is an Excel workbook (.xlsx), not CSV "
                 "text, though its name ends in .csv: rename it sales.xlsx and load that"),
    "picture": ("sales.csv", png, "sales.csv: is a PNG image, not CSV text, though its name "
                "ends in .csv: a dataset is a table (CSV, Excel, Parquet, JSON lines), a .npz "
                "of arrays, or a .zip or folder of class folders of images"),
    "gzip": ("sales.csv", lambda: gzip.compress(FRAME.to_csv(index=False).encode()),
             "sales.csv: is a gzip-compressed file, not CSV text, though its name ends in "
             ".csv: unpack it (gunzip, or 7-Zip on Windows) and load the file inside"),
    "jsonl": ("sales.jsonl", parquet, "sales.jsonl: is a Parquet file, not JSON lines, though "
              "its name ends in .jsonl: rename it sales.parquet and load that"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_misnamed_file_is_refused_naming_what_it_holds(tmp_path, case):
    name, data, said = CASES[case]
    path = tmp_path / name
    path.write_bytes(data())
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == said and caught.value.unreadable


def test_renamed_as_it_says_it_loads(tmp_path):
    path = tmp_path / "sales.parquet"
    path.write_bytes(parquet())
    assert load_dataset(path).classes == ["x", "y"]


def test_the_command_line_says_it_in_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_bytes(parquet())
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {CASES['parquet'][2]}\n"


def test_a_row_to_try_in_a_misnamed_file_is_refused_so_too():
    with pytest.raises(DataError, match=r"^row\.csv: is a Parquet file, not text, though its "
                                        r"name ends in \.csv: rename it row\.parquet"):
        table_rows("row.csv", parquet())
