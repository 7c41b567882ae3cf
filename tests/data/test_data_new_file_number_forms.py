"""A new file's numbers are read as that file writes them, not as the training file did: a
model trained on a sheet in European form (``1.234,50``) and given a file in plain form
(``1234.5``, as another program exports it) by the bundle's predict.py, the Results page's
upload or the exported project's data.py read 1234.5 as 12345, the training file's form
applied blindly. Where the new file does not say which its point is (``1.250`` alone) and the
training file's form would read it otherwise, the reader refuses, naming column and line."""

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
from layerloom.runtime.data.preprocessing import encode_row, input_columns, preprocessing
from layerloom.runtime.data.preprocessing import table_rows
from layerloom.runtime.export_project import export_project


def euros(x: float) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A European sheet's CSV: ';' between values, amounts '1.234,50', sizes '2,5'."""
    folder = tmp_path_factory.mktemp("euro")
    rows = [f"{euros(900 + 37.5 * i)};{i % 7},5;{'ab'[i % 3 > 0]}" for i in range(60)]
    path = folder / "ventes.csv"
    path.write_text("montant;taille;achat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ds = load_dataset(path)
    assert [c["written"] for c in input_columns(ds)] == \
        [{"decimal": ",", "thousands": "."}, {"decimal": ","}]
    return folder, ds


def predict_rows(path: Path, ds) -> tuple[np.ndarray, list]:
    notes: list = []
    return predict_script.read_rows(path, ds.input_shape, preprocessing(ds), notes), notes


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLAIN = "montant,taille,achat\n1234.5,2.5,a\n980,3,b\n"  # as another program exports it


def test_predict_py_reads_a_plain_file_as_written_and_says_so(trained, tmp_path):
    _, ds = trained
    new = tmp_path / "new.csv"
    new.write_text(PLAIN)
    got, notes = predict_rows(new, ds)
    assert got.tolist() == [[1234.5, 2.5], [980.0, 3.0]]  # not 12345 and 25
    assert notes == [(None, "new.csv: columns 'montant', 'taille': this file writes numbers "
                            "with a decimal point (line 2: 1234.5), the training file with a "
                            "decimal comma: read as this file writes them")]
    same = tmp_path / "same.csv"  # the training file's own form still reads as it did
    same.write_text("montant;taille\n1.234,50;2,5\n980;3\n")
    again, notes = predict_rows(same, ds)
    assert again.tolist() == got.tolist() and notes == []


def test_predict_py_refuses_a_number_the_file_leaves_ambiguous(trained, tmp_path):
    _, ds = trained
    new = tmp_path / "new.csv"
    new.write_text("montant;taille\n1.250;3\n2.500;4\n")  # 1.25 and 2.5, or 1250 and 2500?
    with pytest.raises(SystemExit, match=r"column 'montant', line 2: '1\.250' may mean 1\.25 or "
                                         r"1250; nothing in the file shows whether its point "
                                         r"marks decimals or thousands, and the training file "
                                         r"wrote the column with points between thousands\. "
                                         r"Write the column's numbers without thousands "
                                         r"separators \(1250, not 1\.250\)"):
        predict_rows(new, ds)
    new.write_text("montant;taille\n1.250;3,5\n")  # a decimal comma beside it: thousands
    assert predict_rows(new, ds)[0].tolist() == [[1250.0, 3.5]]
    new.write_text("montant,taille\n1.250,0.5\n")  # a decimal point beside it: 1.25
    assert predict_rows(new, ds)[0].tolist() == [[1.25, 0.5]]


def test_a_column_written_both_ways_is_refused_naming_both_lines(trained, tmp_path):
    _, ds = trained
    new = tmp_path / "new.csv"
    new.write_text("montant;taille\n1.234,50;2\n1234.5;3\n")
    with pytest.raises(SystemExit, match=r"column 'montant' writes numbers with a decimal "
                                         r"point \(line 3: 1234\.5\) and with a decimal comma "
                                         r"\(line 2: 1\.234,50\); write them all one way"):
        predict_rows(new, ds)


def test_the_results_upload_reads_a_plain_row_as_predict_py(trained):
    _, ds = trained
    notes: list = []
    rows = table_rows("row.csv", b"montant,taille\n1234.5,2.5\n", input_columns(ds), notes)
    assert encode_row(rows[0], ds).tolist() == [1234.5, 2.5]
    assert notes[0].startswith("columns 'montant', 'taille': this file writes numbers with a "
                               "decimal point (line 2: 1234.5)")
    with pytest.raises(Exception, match=r"row\.csv: column 'montant', line 2: '1\.250' may "
                                        r"mean 1\.25 or 1250"):
        table_rows("row.csv", b"montant;taille\n1.250;3\n", input_columns(ds), [])


def test_the_exported_project_reads_a_new_plain_file_as_written(trained, tmp_path):
    folder, ds = trained
    graph = load_template("mlp-tabular")
    graph.variables.update(features=2, classes=2, hidden=8)
    result = export_project(graph, str(folder / "ventes.csv"), tmp_path / "proj",
                            {"epochs": 1, "batch_size": 8})
    spec = json.loads((result.path / "config.json").read_text())["data"]
    data = template()
    x, _ = data.read_table(result.path / spec["file"], spec, result.path)  # the shipped file
    assert x[:2].tolist() == [[900.0, 0.5], [937.5, 1.5]]
    new = tmp_path / "new.csv"
    new.write_text(PLAIN)
    x, y = data.read_table(new, spec, result.path)
    assert x.tolist() == [[1234.5, 2.5], [980.0, 3.0]] and y.tolist() == [0, 1]
    new.write_text("montant;taille;achat\n1.250;3;a\n")
    with pytest.raises(SystemExit, match=r"new\.csv: column 'montant', line 2: '1\.250' may "
                                         r"mean 1\.25 or 1250"):
        data.read_table(new, spec, result.path)


@pytest.mark.parametrize("cell", ["1.234", "1,234", "1.234,5", "1,234.5", "0,125", "12 345",
                                  "1'234.5", "$1,250.50", "1.234.567", "-0,5", "1e-5", "abc"])
def test_predict_and_the_project_read_a_cell_alike(cell):
    assert template().readings(cell) == predict_script.readings(cell)
