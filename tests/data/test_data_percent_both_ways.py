"""One sheet saved as CSV and as an Excel workbook gives the same numbers: a cell that shows
``5%`` is 0.05 in both. A workbook stores the fraction (0.05, shown through a ``0%`` format);
Excel's Save As CSV writes ``5%``, which was read as 5, a hundred times the workbook's value.
Each way says what it converted, and a bundle's predict.py and an exported project's data.py
read a new file's ``5%`` as training did."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.csvfile import read_table

openpyxl = pytest.importorskip("openpyxl")

RATES = [5, 12.5, 100, 0, 37, 0.5, 250, 64]  # as the sheet shows them, in %


def rows(n: int = 40) -> list[tuple[float, int, str]]:
    return [(RATES[i % len(RATES)], i % 7, "ab"[i % 2]) for i in range(n)]


def as_csv(path: Path) -> Path:
    """What Excel's Save As CSV writes of the sheet: each percentage with its sign."""
    lines = ["rate,n,label"] + [f"{rate:g}%,{n},{label}" for rate, n, label in rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def as_workbook(path: Path) -> Path:
    """The sheet as Excel keeps it: the fraction, shown through a percentage format."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["rate", "n", "label"])
    for rate, n, label in rows():
        ws.append([rate / 100, n, label])
        ws.cell(ws.max_row, 1).number_format = "0.0%"
    book.save(path)
    return path


def template():
    import layerloom.runtime.export_project as project

    spec = importlib.util.spec_from_file_location(
        "_project_data_percent", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_percentage_reads_as_its_fraction_in_a_csv_as_in_a_workbook(tmp_path):
    csv_path, book_path = as_csv(tmp_path / "rates.csv"), as_workbook(tmp_path / "rates.xlsx")
    assert [row[0] for row in read_table(csv_path).rows[:4]] == ["0.05", "0.125", "1", "0"]
    from_csv, from_book = (load_dataset(p, val_fraction=0, test_fraction=0, seed=0)
                           for p in (csv_path, book_path))
    mean = from_csv.normalization["mean"][0]
    assert mean == pytest.approx(from_book.normalization["mean"][0])
    assert mean == pytest.approx(sum(r for r, _, _ in rows()) / 100 / 40)
    assert torch.equal(from_csv.x_train, from_book.x_train)


def test_each_way_says_what_it_converted(tmp_path):
    csv_notes = load_dataset(as_csv(tmp_path / "rates.csv")).meta["notes"]
    assert "rate: numbers written with a '%' sign, read as the fractions they mean, as a " \
        "workbook stores a percentage (5% as 0.05)" in csv_notes
    book_notes = load_dataset(as_workbook(tmp_path / "rates.xlsx")).meta["notes"]
    assert "rate: percentages, read as the fractions the workbook stores (5% as 0.05), as a " \
        "CSV's 5% is" in book_notes


@pytest.mark.parametrize(("cell", "form", "number"), [
    ("5%", {"unit": "%"}, 0.05), ("12,5 %", {"decimal": ",", "unit": "%"}, 0.125),
    ("1,250%", {"thousands": ",", "unit": "%"}, 12.5), ("$12", {"unit": "$"}, 12.0)])
def test_predict_and_the_project_read_a_new_files_percentage_as_training_did(cell, form,
                                                                           number):
    from layerloom.runtime.data import written

    assert float(written.as_written(cell, form)) == number
    assert float(predict_script.as_written(cell, form)) == number
    assert float(template()._as_written(cell, form)) == number
    assert number in predict_script.readings(cell).values()
    assert template().readings(cell) == predict_script.readings(cell)


def test_the_note_shows_a_percentage_other_than_zero(tmp_path):
    """A column starting at 0% showed '(0% as 0)', which says nothing of how 5% reads."""
    path = tmp_path / "rates.csv"
    path.write_text("a,rate\n" + "".join(f"{i},{i % 7}%\n" for i in range(30)), encoding="utf-8")
    ds = load_dataset(path)
    assert ds.task == "regression" and ds.meta["notes"] == [
        "rate: numbers written with a '%' sign, read as the fractions they mean, as a workbook "
        "stores a percentage (1% as 0.01)"]
