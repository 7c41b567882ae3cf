"""A point followed by three digits (``1.250``, ``12.000``) in a file separated by ``;`` or tabs,
as European spreadsheets write thousands (runtime/data/points.py): read as thousands where the
file says so, as a decimal point where it says that, and with a note naming the column where
nothing tells; never silently a thousand times too small. The form reaches predict.py and the
exported project, which read new rows alike."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.csvfile import read_table

PRICES = ["1.250", "2.500", "12.000", "3.750", "7.125", "10.500"]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def column(ds, name: str) -> dict:
    [found] = [c for c in ds.meta["columns"] if c["name"] == name]
    return found


def test_points_in_a_file_of_decimal_commas_are_thousands(tmp_path):
    """``preis`` was read as 1.25, 2.5, 12.0 beside ``gewicht``'s decimal commas, unsaid."""
    path = write(tmp_path / "eu.csv", ["preis;gewicht;label"] + [
        f"{PRICES[i % 6]};{i % 9},5;{'ab'[i % 2]}" for i in range(30)])
    table = read_table(path)
    assert [row[0] for row in table.rows[:3]] == ["1250", "2500", "12000"]
    ds = load_dataset(path)
    assert column(ds, "preis")["written"] == {"decimal": ",", "thousands": "."}
    assert "preis: numbers written with '.' between thousands and a decimal comma, read as " \
        "numbers (1.250 as 1250)" in ds.meta["notes"]


def test_numbers_under_a_thousand_without_a_point_make_the_points_thousands(tmp_path):
    values = ["850", "1.250", "999", "12.000", "40", "2.500"]
    path = write(tmp_path / "eu.csv", ["preis;label"] + [
        f"{values[i % 6]};{'ab'[i % 2]}" for i in range(30)])
    assert [row[0] for row in read_table(path).rows[:4]] == ["850", "1250", "999", "12000"]
    assert column(load_dataset(path), "preis")["written"] == {"thousands": "."}


def test_where_nothing_tells_the_point_is_decimal_and_the_note_names_the_column(tmp_path):
    path = write(tmp_path / "eu.csv", ["menge;preis;label"] + [
        f"{i};{PRICES[i % 6]};{'ab'[i % 2]}" for i in range(30)])
    table = read_table(path)
    assert table.rows[0][1] == "1.250" and not table.written  # read by float: 1.25
    ds = load_dataset(path)
    assert "written" not in column(ds, "preis")
    assert ds.meta["notes"] == [
        "preis: every number has three digits after its point (1.250): read with a decimal "
        "point (1.250 as 1.25); if the point separates thousands (1.250 meaning 1250), save "
        "the file with no thousands separator in this column"]


@pytest.mark.parametrize("lines", [
    ["preis;gewicht;label"] + [f"{PRICES[i % 6]};0.{i % 9}5;{'ab'[i % 2]}" for i in range(30)],
    ["preis,label"] + [f"{PRICES[i % 6]},{'ab'[i % 2]}" for i in range(30)],
], ids=["decimal-points-beside", "comma-separated"])
def test_points_stay_decimal_where_the_file_writes_decimal_points(tmp_path, lines):
    table = read_table(write(tmp_path / "data.csv", lines))
    assert table.rows[0][0] == "1.250" and not table.written and not table.notes


def _project_data():
    spec = importlib.util.spec_from_file_location(
        "_project_data_points", Path(project.__file__).parent / "template" / "data.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    return template


def test_predict_and_the_project_read_the_thousands_as_training_did(tmp_path):
    train = write(tmp_path / "train.csv", ["preis;gewicht;label"] + [
        f"{PRICES[i % 6]};{i % 9},5;{'ab'[i % 2]}" for i in range(30)])
    columns = load_dataset(train).meta["columns"]
    new = write(tmp_path / "new.csv", ["preis;gewicht", "12.000;1,5", "850;2"])
    got = predict_script.read_rows(new, (2,), {"kind": "tabular", "columns": columns}, [])
    assert got.tolist() == [[12000.0, 1.5], [850.0, 2.0]]
    x, _ = _project_data().read_table(train, {"target": "label", "columns": columns,
                                              "classes": ["a", "b"]}, tmp_path)
    assert x[:3].tolist() == [[1250.0, 0.5], [2500.0, 1.5], [12000.0, 2.5]]
