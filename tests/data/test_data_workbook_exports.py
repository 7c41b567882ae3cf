"""A bundle's predict.py and an exported project's data.py read an Excel workbook as the
loader does (runtime/data/workbook.py): the same header and rows, cell for cell, the sheet
trained on, and without openpyxl one line saying how to get it. The project ships the
workbook itself, not arrays in its place."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.graph.templates import load_template
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data import workbook as loader
from layerloom.runtime.data.preprocessing import preprocessing
from layerloom.runtime.export_project import export_project

from .test_data_workbook import sales, sales_csv

openpyxl = pytest.importorskip("openpyxl")


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data_xlsx", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CELLS = [None, True, False, 0, 7, -3.0, 0.1 + 0.2, 1e-12, 2.0**60, float("nan"), "Nice",
         " Lyon ", dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 8, 30, 5, 250000),
         dt.date(2024, 3, 1), dt.time(8, 30), dt.timedelta(hours=26, seconds=1.5)]


@pytest.mark.parametrize("value", CELLS, ids=repr)
def test_predict_and_the_project_write_a_cell_as_training_did(value):
    want = loader.cell_text(value)
    assert predict_script.cell_text(value) == want
    assert template().cell_text(value) == want


@pytest.mark.parametrize("sheet", [None, "iris"])
def test_predict_and_the_project_read_a_workbooks_rows_as_training_did(tmp_path, sheet):
    path = sales(tmp_path / "sales.xlsx", iris=True)
    table = loader.read_workbook(path, sheet)
    assert predict_script.read_table(path, sheet) == (table.header, table.rows)
    assert template().read_csv(path, sheet) == (table.header, table.rows)


def test_predict_reads_a_new_workbook_as_the_same_rows_in_csv(tmp_path):
    ds = load_dataset(sales(tmp_path / "train.xlsx"), target="qty", task="regression")
    prep = {**preprocessing(ds), "kind": "tabular"}
    width = int(np.prod(ds.input_shape))
    new = sales(tmp_path / "new.xlsx", second_sheet=False)
    from_book = predict_script.read_rows(new, (width,), prep, [])
    from_csv = predict_script.read_rows(sales_csv(tmp_path / "new.csv"), (width,), prep, [])
    np.testing.assert_array_equal(from_book, from_csv)
    assert predict_script.input_files({"inputs": [{"shape": [width]}], "preprocessing": prep}
                                      )[1].startswith("An Excel workbook (.xlsx; needs openpyxl)")


def test_predict_reads_the_sheet_trained_on(tmp_path):
    path = sales(tmp_path / "sales.xlsx", iris=True)
    ds = load_dataset(path, sheet="iris")
    prep = {**preprocessing(ds), "kind": "tabular"}
    assert prep["sheet"] == "iris"
    rows = predict_script.read_rows(path, ds.input_shape, prep, [])
    assert rows.shape == (30, *ds.input_shape) and rows[1, :2].tolist() == [1.0, 0.75]


def test_without_openpyxl_predict_and_the_project_say_how_to_get_it(tmp_path, monkeypatch):
    path = sales(tmp_path / "s.xlsx")
    data = template()
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(SystemExit, match=r"^error: .*s\.xlsx: reading \.xlsx needs openpyxl: "
                                         r"pip install openpyxl \(or save the sheet as CSV\)$"):
        predict_script.read_table(path)
    with pytest.raises(SystemExit, match=r"^s\.xlsx: reading \.xlsx needs openpyxl: pip "
                                         r"install openpyxl \(or save the sheet as CSV\)$"):
        data.read_csv(path)


def test_predict_and_the_project_refuse_an_xls_saying_what_to_save(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(SystemExit, match=r"old\.xls: an Excel 97-2003 workbook \(\.xls\) is "
                                         r"not read; save it as \.xlsx or CSV"):
        predict_script.read_table(path)
    with pytest.raises(SystemExit, match=r"save it as \.xlsx or CSV"):
        template().read_csv(path)


def test_the_project_ships_the_workbook_and_reads_its_sheet_itself(tmp_path):
    path = sales(tmp_path / "sales.xlsx", iris=True)
    ds = load_dataset(path, sheet="iris")  # a, b, and the times of column 3 one-hot
    graph = load_template("mlp-tabular")
    graph.variables.update(features=int(ds.input_shape[0]), classes=2, hidden=8)
    result = export_project(graph, {"source": str(path), "options": {"sheet": "iris"}},
                            tmp_path / "proj", {"epochs": 1, "batch_size": 8})
    assert result.data == "table" and result.notes == []  # data.py gave LayerLoom's tensors
    spec = json.loads((result.path / "config.json").read_text())["data"]
    assert spec["file"] == "data/sales.xlsx" and spec["sheet"] == "iris"
    assert "openpyxl>=" in (result.path / "requirements.txt").read_text()


def merged_down(path):
    """A sheet whose region and label are written once for each group of five rows, their
    cells merged down over the group, as people lay out a workbook; beside a title-less
    header whose 'label' is merged down nowhere."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["width", "height", "region", "label"])
    for g in range(8):
        for k in range(5):
            ws.append([g + k / 10, k - g / 10, ["north", "south"][g % 2], ["cat", "dog"][g % 2]])
        first = 2 + 5 * g
        ws.merge_cells(f"C{first}:C{first + 4}")
        ws.merge_cells(f"D{first}:D{first + 4}")
    book.save(path)
    return path


def test_cells_merged_down_give_their_value_to_each_row_they_span(tmp_path):
    # the label merged down over 5 rows read in its first row alone: 32 of 40 rows were left
    # out ('32 rows with no 'label' (lines 3, 4, 5, 6 …) left out'), which the sheet shows
    # labelled
    path = merged_down(tmp_path / "groups.xlsx")
    table = loader.read_workbook(path)
    assert [row[2:] for row in table.rows[:6]] == [["north", "cat"]] * 5 + [["south", "dog"]]
    assert table.notes == ["region, label: cells merged down over several rows (lines 2–6, "
                           "7–11, 12–16, 17–21 …) read as their value on each of those rows, "
                           "as Excel shows them"]
    ds = load_dataset(path)
    assert ds.classes == ["cat", "dog"]
    assert sum(sum(counts.values()) for counts in ds.class_counts().values()) == 40
    assert predict_script.read_table(path) == (table.header, table.rows)
    assert template().read_csv(path) == (table.header, table.rows)


def test_merges_a_hostile_sheet_repeats_are_capped_as_its_values_are(tmp_path, monkeypatch):
    # 400 copies of one merge over the sheet's 41 rows: 16,000 cells to give a value to, from
    # a sheet of 160 values
    path = merged_down(tmp_path / "groups.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    many = '<mergeCell ref="C2:C41"/>' * 400
    parts["xl/worksheets/sheet1.xml"] = re.sub(r"<mergeCells[^>]*>.*</mergeCells>",
                                               f'<mergeCells count="400">{many}</mergeCells>',
                                               sheet).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_CELLS", "1000")
    with pytest.raises(DataError, match=r"groups\.xlsx: its merged cells span more than 1,000 "
                                        r"cells; workbooks are capped at 1,000 values"):
        loader.read_workbook(path)
