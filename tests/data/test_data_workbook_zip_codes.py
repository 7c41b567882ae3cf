"""Codes an Excel sheet stores as numbers shown with leading zeros (Excel's Special > Zip Code
format, ``00000``) are read as Excel shows them, ``01234``, as the same codes in a CSV are: a
feature of zip codes is categories and a target of such codes keeps its class names. The
bundle's predict.py and an exported project's data.py read them alike."""

from __future__ import annotations

import pytest

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data import workbook as loader

from .test_data_workbook_exports import template

openpyxl = pytest.importorskip("openpyxl")

ZIPS = [2134, 2139, 10001, 94105]


def zip_book(path, zip_format="00000", label_format="00"):
    """A sheet of zip codes (format ``zip_format``), ages and labels 1, 2, 10 stored as
    numbers in the format ``label_format``, as Excel's number formats keep them."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["zip", "age", "label"])
    for i in range(60):
        ws.append([ZIPS[i % 4], 20 + i % 37, [1, 2, 10][i % 3]])
        ws.cell(row=i + 2, column=1).number_format = zip_format
        ws.cell(row=i + 2, column=3).number_format = label_format
    book.save(path)
    return path


def test_zip_codes_stored_as_numbers_read_as_excel_shows_them(tmp_path):
    table = loader.read_workbook(zip_book(tmp_path / "zips.xlsx"))
    assert table.rows[:4] == [["02134", "20", "01"], ["02139", "21", "02"],
                              ["10001", "22", "10"], ["94105", "23", "01"]]


def test_a_feature_of_zip_codes_is_categories_and_a_target_keeps_its_names(tmp_path):
    ds = load_dataset(zip_book(tmp_path / "zips.xlsx"), val_fraction=0.0, test_fraction=0.0)
    assert ds.meta["columns"][0] == {"name": "zip", "kind": "categorical",
                                     "categories": ["02134", "02139", "10001", "94105"]}
    assert ds.classes == ["01", "02", "10"]  # were 1, 2, 10
    assert ds.meta["notes"][0].startswith("zip (02134): whole numbers written with leading "
                                          "zeros, read as codes")


def test_the_numbers_option_reads_them_as_numbers(tmp_path):
    ds = load_dataset(zip_book(tmp_path / "zips.xlsx"), numbers=("zip",), val_fraction=0.0,
                      test_fraction=0.0)
    assert ds.meta["columns"][0] == {"name": "zip", "kind": "numeric"}


@pytest.mark.parametrize("value, number_format, text", [
    (2134, "00000", "02134"),
    (2134.0, "00000", "02134"),
    (123456789, "00000", "123456789"),  # more digits than zeros: all of them, as Excel
    (12345678, "00000\\-0000", "01234-5678"),  # Special > Zip Code + 4
    (12345678, "000-00-0000", "012-34-5678"),  # Special > Social Security Number
    (2134, "General", "2134"),
    (2134, "0", "2134"),
    (2134, None, "2134"),
    (2.5, "00000", "2.5"),  # not a whole number: every digit, as before
    (-7, "00000", "-7"),
    (True, "00", "TRUE"),
    ("0042", "00000", "0042"),
])
def test_a_cell_is_written_as_its_padding_format_shows_it(value, number_format, text):
    assert loader.cell_text(value, number_format) == text
    assert predict_script.cell_text(value, number_format) == text
    assert template().cell_text(value, number_format) == text


def test_predict_and_the_project_read_zip_codes_as_training_did(tmp_path):
    path = zip_book(tmp_path / "zips.xlsx", zip_format="00000\\-0000")
    table = loader.read_workbook(path)
    assert table.rows[0][0] == "00000-2134"
    assert predict_script.read_table(path) == (table.header, table.rows)
    assert template().read_csv(path) == (table.header, table.rows)
