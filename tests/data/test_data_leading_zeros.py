"""Whole numbers written with leading zeros are codes, not numbers: class labels ``01``, ``02``,
``10`` keep their names (``007`` and ``7`` stay two classes), and a feature of zip codes is
categories, each said in ``meta["notes"]``. Whole numbers none of which has a leading zero, and
a column where any value is not digits only, are numbers as before."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.export_project import export_project

LABELS = ["01", "02", "10", "007", "7"]
ZIPS = ["02134", "02139", "10001", "94105"]


def _write(path, header: str, rows: list[str]) -> str:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def _codes_csv(tmp_path) -> str:
    rows = [f"{ZIPS[i % 4]},{20 + i % 37},{LABELS[i % 5]}" for i in range(60)]
    return _write(tmp_path / "codes.csv", "zip,age,label", rows)


def test_a_target_of_codes_keeps_its_labels_as_written(tmp_path):
    ds = load_dataset(_codes_csv(tmp_path), val_fraction=0.0, test_fraction=0.0)
    assert ds.classes == ["007", "01", "02", "10", "7"]  # were '1', '2', '7', '10'
    assert np.bincount(ds.y_train.numpy()).tolist() == [12] * 5  # 007 and 7 not merged
    assert ("label: whole numbers written with leading zeros (01), read as class names as "
            "written, not as numbers: '007' and '7' are different classes; to read them as "
            "numbers, set numbers=['label'] (or task=regression)") in ds.meta["notes"]


def test_a_feature_of_codes_is_categories_and_said(tmp_path):
    ds = load_dataset(_codes_csv(tmp_path), val_fraction=0.0, test_fraction=0.0)
    zip_column = ds.meta["columns"][0]
    assert zip_column == {"name": "zip", "kind": "categorical", "categories": ZIPS}
    assert ds.meta["columns"][1] == {"name": "age", "kind": "numeric"}
    assert ds.input_shape == (5,)  # 4 one-hot columns and the age
    assert ds.meta["notes"][0] == ("zip (02134): whole numbers written with leading zeros, "
                                   "read as codes (each value a category, one-hot), not as "
                                   "numbers; to read it as numbers, set numbers=['zip']")


def test_the_numbers_option_reads_codes_as_numbers(tmp_path):
    ds = load_dataset(_codes_csv(tmp_path), numbers=("zip", "label"), val_fraction=0.0,
                      test_fraction=0.0)
    assert ds.meta["columns"][0] == {"name": "zip", "kind": "numeric"}
    assert ds.classes == ["1", "2", "7", "10"]  # as chosen: 007 and 7 are one number
    assert not any("leading zeros" in note for note in ds.meta.get("notes", []))
    with pytest.raises(DataError, match=r"no column 'zipcode'; the columns are 'zip', 'age', "
                                        r"'label'"):
        load_dataset(_codes_csv(tmp_path), numbers=("zipcode",))


def test_the_command_line_says_the_option_as_its_flag(tmp_path, capsys):
    from layerloom.cli import main

    path = _codes_csv(tmp_path)
    assert main(["validate", "mlp-tabular", "-d", path, "--set", "features=5",
                 "--set", "classes=5"]) == 0
    err = capsys.readouterr().err
    assert "not as numbers; to read it as numbers, set --data-option numbers=zip\n" in err
    assert "set --data-option numbers=label (or --data-option task=regression)" in err
    assert main(["validate", "mlp-tabular", "-d", path, "--set", "features=2", "--set",
                 "classes=4", "--data-option", 'numbers=["zip","label"]']) == 0
    assert "leading zeros" not in capsys.readouterr().err


def test_regression_reads_a_target_of_codes_as_numbers(tmp_path):
    rows = [f"{i % 7},{i % 9:03d}" for i in range(40)]
    path = _write(tmp_path / "amounts.csv", "x,y", rows)
    ds = load_dataset(path, task="regression", val_fraction=0.0, test_fraction=0.0)
    assert ds.classes is None
    assert sorted(set(ds.y_train.numpy().ravel().tolist())) == list(range(9))


@pytest.mark.parametrize("values", [["0", "7", "10", "3"], ["01", "0.5", "2", "3"],
                                    ["-01", "2", "3", "4"]])
def test_numbers_without_codes_stay_numbers(tmp_path, values):
    rows = [f"{values[i % 4]},{'ab'[i % 2]}" for i in range(40)]
    ds = load_dataset(_write(tmp_path / "n.csv", "n,label", rows), val_fraction=0.0,
                      test_fraction=0.0)
    assert ds.meta["columns"] == [{"name": "n", "kind": "numeric"}]
    assert not any("leading zeros" in note for note in ds.meta.get("notes", []))
    rows = [f"{i % 3},{values[i % 4]}" for i in range(40)]
    ds = load_dataset(_write(tmp_path / "t.csv", "x,label", rows), val_fraction=0.0,
                      test_fraction=0.0)
    assert ds.classes is None or "01" not in ds.classes


def test_too_many_codes_to_one_hot_says_they_are_codes(tmp_path):
    rows = [f"{i:05d},{i % 4},{'ab'[i % 2]}" for i in range(80)]
    path = _write(tmp_path / "stores.csv", "zip,x,label", rows)
    with pytest.raises(DataError, match=r"column 'zip': 80 different values in the training "
                       r"rows, too many to one-hot \(more than 50\); they are codes, not "
                       r"numbers: whole numbers written with leading zeros \(00000\); drop "
                       r"the column with drop=\['zip'\] \(or raise max_categories, or read "
                       r"them as numbers with numbers=\['zip'\]\)"):
        load_dataset(path, val_fraction=0.0, test_fraction=0.0)


def test_a_text_file_labelled_with_codes_keeps_them(tmp_path):
    rows = [f"the parcel number {i} came late and broken,{['01', '02', '10'][i % 3]}"
            for i in range(30)]
    ds = load_dataset(_write(tmp_path / "tickets.csv", "text,queue", rows))
    assert ds.classes == ["01", "02", "10"]


def test_an_exported_project_reads_the_codes_as_layerloom_does(tmp_path):
    path = _codes_csv(tmp_path)
    ds = load_dataset(path, seed=1)
    graph = load_template("mlp-tabular")
    graph.variables.update(hidden=8, features=5, classes=5)
    result = export_project(graph, {"source": path, "seed": 1}, tmp_path / "project",
                            {"epochs": 1, "batch_size": 16, "seed": 3, "num_threads": 1})
    assert result.data == "table" and result.notes == []  # not refused, nor arrays instead
    spec = importlib.util.spec_from_file_location("codes_data", result.path / "data.py")
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    config = json.loads((result.path / "config.json").read_text())
    assert config["data"]["classes"] == ds.classes
    x, y = data.read_all(config["data"], result.path)
    assert [ds.classes[k] for k in y[:5]] == LABELS
    assert np.array_equal(x[:3, :4], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
