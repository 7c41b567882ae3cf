"""A bundle's predict.py reads a new CSV in the dialect its training file had
(graph/export/predict_script.py): numbers written as the training column wrote them (the
column's ``written`` form: a decimal comma, thousands separators), Windows-1252 and UTF-16
text, ``;`` between decimal commas; and a damaged picture is an error in words."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset

PREP = {"kind": "tabular", "missing": ["", "na", "?"]}


def rows_of(path, columns) -> np.ndarray:
    notes: list = []
    width = sum(len(c.get("categories", [None])) for c in columns)  # one-hot columns
    return predict_script.read_rows(path, (width,), {**PREP, "columns": columns}, notes)


def test_the_training_files_number_forms_reach_the_bundle_and_read_new_rows(tmp_path):
    train = tmp_path / "train.csv"
    train.write_bytes(("income;height;city;label\r\n" + "\r\n".join(
        f"{1000 * i + 100:,}".replace(",", ".") + f",5;1,{i % 10};{'NîmesAlès'[5 * (i % 2):][:5]};"
        f"{'ab'[i % 2]}" for i in range(1, 41))).encode("cp1252"))
    columns = load_dataset(train).meta["columns"]
    assert columns[:2] == [
        {"name": "income", "kind": "numeric", "written": {"decimal": ",", "thousands": "."}},
        {"name": "height", "kind": "numeric", "written": {"decimal": ","}}]
    new = tmp_path / "new.csv"
    new.write_bytes("income;height;city\r\n12.345,5;1,5;Nîmes\r\n7,25;2;Alès\r\n"
                    .encode("cp1252"))
    numbers = [c for c in columns if c["kind"] == "numeric"]
    assert rows_of(new, numbers).tolist() == [[12345.5, 1.5], [7.25, 2.0]]
    got = rows_of(new, columns)  # the categories of a Windows-1252 file match training's
    assert got[:, 2:].tolist() == [[0.0, 1.0], [1.0, 0.0]]  # ['Alès', 'Nîmes']


def test_a_utf16_file_and_a_headerless_row_of_decimal_commas(tmp_path):
    path = tmp_path / "excel.txt.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "a\tb\r\n1\t2.5\r\n".encode("utf-16-le"))
    columns = [{"name": "a", "kind": "numeric"}, {"name": "b", "kind": "numeric"}]
    assert rows_of(path, columns).tolist() == [[1.0, 2.5]]
    header, rows = predict_script.read_table(_write(tmp_path / "raw.csv", "7,76;3,79\n"))
    assert header == ["7,76", "3,79"]  # split at ';', not at the decimal commas


def test_a_damaged_picture_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20))
    with pytest.raises(SystemExit) as caught:
        predict_script.read_image(path, (3, 8, 8), {})
    assert str(caught.value).startswith(f"error: {path}: cannot be read as an image (")
    assert str(caught.value).endswith("; give a good copy")


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


TEXTS = ['"Höhe, cm";"Breite, cm";Art\n2,04;-2,56;a\n', "Höhe, cm;Breite, cm;Art\n2,04;-2,5;a\n",
         "7,76;3,79\n", "a,b;c,d\n", "id,tags\n1,a;b\n2,c\n", "sep=|\na|b\n1|2\n",
         "x\ty\n1,5\t2,5\n", "a,b,label\n1,2,x\n", "a|b|c\n1|2|3\n", "solo\n1\n2\n"]


@pytest.mark.parametrize("text", TEXTS)
def test_predict_and_the_project_separate_values_as_training_did(text):
    """One rule in three places (the loader, predict.py, the project's data.py): kept alike."""
    import importlib.util
    from pathlib import Path

    import layerloom.runtime.export_project as project
    from layerloom.runtime.data import csvfile

    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    path = Path("data.csv")
    want = csvfile._delimiter(path, text)
    assert predict_script.delimiter_of(path, text) == want
    assert template.delimiter_of(path, text) == want


def test_predict_reads_names_with_commas_and_excels_sep_line(tmp_path):
    header, rows = predict_script.read_table(_write(tmp_path / "m.csv",
                                                    "Höhe, cm;Art\n2,5;a\n"))
    assert header == ["Höhe, cm", "Art"] and rows == [["2,5", "a"]]
    header, rows = predict_script.read_table(_write(tmp_path / "s.csv", "sep=;\na;b\n1;2\n"))
    assert header == ["a", "b"] and rows == [["1", "2"]]


@pytest.mark.parametrize(("value", "form", "number"), [
    ("1.234,5", {"decimal": ",", "thousands": "."}, 1234.5),
    (" 77,600 ", {"thousands": ","}, 77600.0),
    ("$1,250.50", {"thousands": ",", "unit": "$"}, 1250.5),
    ("12 %", {"unit": "%"}, 0.12),  # as a workbook stores 12 %
    ("1 234,5 €", {"decimal": ",", "thousands": " ", "unit": "€"}, 1234.5),
    ("3,14", {"decimal": ","}, 3.14),
])
def test_predict_and_the_project_read_a_written_number_as_training_did(value, form, number):
    import importlib.util
    from pathlib import Path

    import layerloom.runtime.export_project as project
    from layerloom.runtime.data import written

    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    assert float(written.as_written(value, form)) == number
    assert float(predict_script.as_written(value, form)) == number
    assert float(template._as_written(value.strip(), form)) == number
