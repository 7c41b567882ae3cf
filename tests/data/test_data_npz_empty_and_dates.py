"""An NPZ whose arrays hold no samples, or whose y holds dates, is refused in words naming the
array; numpy's own errors came out ('cannot reshape array of size 0 into shape
(0,newaxis)', "ufunc 'rint' not supported for the input types …"), which the command line
printed as they were."""

from __future__ import annotations

import re

import numpy as np
import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


def test_arrays_of_no_samples_are_refused_in_words(tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path, x=np.ones((0, 3)), y=np.ones((0,)))
    with pytest.raises(DataError, match=r"^empty\.npz: x and y hold no samples \(x has shape "
                                        r"\[0, 3\]\); save the arrays with their samples$"):
        load_dataset(path)


@pytest.mark.parametrize("y", [np.array(["2024-01-01"] * 20, dtype="datetime64[D]"),
                               np.ones(20, complex)], ids=["dates", "complex"])
def test_a_y_of_dates_or_complex_numbers_is_refused_naming_it(tmp_path, y, capsys,
                                                              monkeypatch):
    path = tmp_path / "odd.npz"
    np.savez(path, x=np.ones((20, 3)), y=y)
    with pytest.raises(DataError, match=rf"^odd\.npz: y holds {re.escape(str(y.dtype))} "
                                        rf"values; it must hold "
                                        rf"class labels \(whole numbers or names\) or numbers "
                                        rf"to predict$"):
        load_dataset(path)
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: odd.npz: y holds {y.dtype} values")


def test_a_column_of_labels_is_one_class_per_sample(tmp_path):
    """y saved as a column ([N, 1], as reshape(-1, 1) leaves it) was refused: 'class labels
    must be one per sample, got shape [20, 1]'."""
    path = tmp_path / "column.npz"
    np.savez(path, x=np.arange(60.0).reshape(20, 3), y=(np.arange(20) % 2)[:, None])
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert ds.task == "classification" and ds.classes == ["0", "1"]
    assert sorted(ds.y_train.tolist()) == [0] * 10 + [1] * 10
    assert ds.meta["notes"] == ["y [20, 1] is a column of labels: one class per sample"]
    floats = tmp_path / "floats.npz"
    np.savez(floats, x=np.arange(60.0).reshape(20, 3), y=np.linspace(0, 1, 20)[:, None])
    assert load_dataset(floats).task == "regression"
