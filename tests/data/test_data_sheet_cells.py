"""Cells a spreadsheet writes that are no plain number: an accounting negative in parentheses
(``(1,200.50)``) is a negative number where its column is otherwise numbers, and an error cell
(``#N/A``, ``#DIV/0!``…: a formula that failed) a missing value; both said in a note, and read
alike by the bundle's predict.py and the exported project's data.py. An accounting column
was refused ('(1,200.50)' is not a number) or, with several, one-hot as categories; an error
cell stopped the file or became a category of its own."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.graph.templates import load_template
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.csvfile import read_table
from layerloom.runtime.export_project import export_project

from .test_data_messy_tables import predicted_rows, same_rows

ROWS = 60
ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def data_py():
    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_rows(path: Path, tmp_path: Path, features: int) -> np.ndarray:
    """The file as the exported project's data.py reads it (raw, before normalising)."""
    graph = load_template("mlp-tabular")
    graph.variables.update(features=features, classes=2, hidden=8)
    result = export_project(graph, str(path), tmp_path / "proj", {"epochs": 1})
    assert result.data == "table" and result.notes == []  # the file itself, not arrays
    spec = json.loads((result.path / "config.json").read_text())["data"]
    return data_py().read_table(result.path / spec["file"], spec, result.path)[0]


def ledger(tmp_path) -> Path:
    rows = [f'"{f"({1000 + 200.5 * i:,.2f})" if i % 4 == 0 else f"{30.25 * i:,.2f}"}",'
            f"{'(a)' if i % 2 else 'b'},{'ab'[i % 3 > 0]}" for i in range(ROWS)]
    path = tmp_path / "ledger.csv"
    path.write_text("net,tag,label\n" + "\n".join(rows) + "\n")
    return path


def test_an_accounting_negative_is_a_negative_number_and_said(tmp_path):
    path = ledger(tmp_path)
    table = read_table(path)
    assert [row[0] for row in table.rows[:2]] == ["-1000.00", "30.25"]
    assert [row[1] for row in table.rows[:2]] == ["b", "(a)"]  # among words: a value as it is
    ds = load_dataset(path)
    assert ds.meta["columns"][0]["kind"] == "numeric"
    assert "net: amounts in parentheses read as negative numbers, as accounting writes them " \
           "((1,000.00) as -1,000.00; 15 cells)" in ds.meta["notes"]
    assert same_rows(ds, predicted_rows(ds, path))  # predict.py reads them alike
    raw = project_rows(path, tmp_path, 3)
    assert raw[:5, 0].tolist() == [-1000.0, 30.25, 60.5, 90.75, -1802.0]
    assert predict_script.readings("(1.234,50 €)") == {",": -1234.5}


def sheet(tmp_path) -> Path:
    rows = [f"{ERRORS[i // 8 % 7] if i % 8 == 0 else i % 11 / 4},"
            f"{'#N/A' if i % 10 == 5 else ['Oslo', 'Rome'][i % 2]},{'ab'[i % 3 > 0]}"
            for i in range(ROWS)]
    path = tmp_path / "sheet.csv"
    path.write_text("ratio,city,label\n" + "\n".join(rows) + "\n")
    return path


def test_spreadsheet_error_cells_are_missing_values_and_said(tmp_path):
    path = sheet(tmp_path)
    ds = load_dataset(path)
    assert ds.meta["columns"][0] == {"name": "ratio", "kind": "numeric"}
    assert ds.meta["columns"][1] == {"name": "city", "kind": "categorical",
                                     "categories": ["Oslo", "Rome"]}
    notes = ds.meta["notes"]
    assert "ratio: spreadsheet error cells ('#DIV/0!', '#N/A', '#NAME?', '#NULL!', '#NUM!', " \
           "'#REF!', '#VALUE!') read as missing values (8 cells)" in notes
    assert "city: spreadsheet error cells ('#N/A') read as missing values (6 cells)" in notes
    assert ds.meta["filled"]["ratio"]["missing"] == 8
    x = predicted_rows(ds, path)
    assert same_rows(ds, x)  # predict.py: missing too, no 'not seen in training' for #N/A
    raw = project_rows(path, tmp_path, 3)
    assert np.isnan(raw[0, 0]) and raw[5, 1:].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("cell", ERRORS)
def test_predict_and_the_project_read_an_error_cell_as_missing(cell):
    assert cell.lower() in predict_script.MISSING and cell.lower() in data_py().MISSING
