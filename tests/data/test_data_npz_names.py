"""NumPy files as users save them (runtime/data/npz.py, files.py): arrays named X and y
(scikit-learn), x_train/y_train/x_test/y_test (Keras' mnist.npz), saved without names
(``np.savez(path, x, y)``), images and labels; labels stored as floats; a lone .npy; and
arrays of Python objects, which are refused, never unpickled, wherever an array is read."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from layerloom.runtime.data import DataError, load_dataset

ROOT = Path(__file__).resolve().parents[2]
X = np.random.default_rng(0).normal(size=(60, 4))
Y = np.arange(60) % 3


@pytest.mark.parametrize(("arrays", "note"), [
    ({"X": X, "y": Y}, "'X' read as x and 'y' as y"),
    ({"images": X, "labels": Y}, "'images' read as x and 'labels' as y"),
    ({"data": X, "target": Y, "target_names": np.array(["a", "b", "c"])},
     "'data' read as x and 'target' as y"),
], ids=["sklearn", "images-labels", "sklearn-bunch"])
def test_samples_and_labels_under_common_names_are_read_and_said(tmp_path, arrays, note):
    """They were refused: "no array 'x' (it holds X, y)"."""
    np.savez(tmp_path / "d.npz", **arrays)
    ds = load_dataset(tmp_path / "d.npz", val_fraction=0, test_fraction=0)
    assert ds.input_shape == (4,) and len(ds.x_train) == 60
    assert ds.meta["notes"] == [note]
    assert ds.classes == (["a", "b", "c"] if "target_names" in arrays else ["0", "1", "2"])


def test_arrays_saved_without_names_are_x_then_y(tmp_path):
    np.savez(tmp_path / "d.npz", X, Y)
    ds = load_dataset(tmp_path / "d.npz", val_fraction=0, test_fraction=0)
    assert ds.meta["notes"] == ["'arr_0' read as x and 'arr_1' as y"]
    assert ds.classes == ["0", "1", "2"] and np.bincount(ds.y_train.numpy()).tolist() == [20] * 3


def test_keras_test_arrays_stay_the_test_set(tmp_path):
    """x_test was put end to end with x_train and the whole split anew: a third of the file's
    test samples were trained on, and the test set was not the one the file meant."""
    np.savez(tmp_path / "mnist.npz", x_train=X[:40], y_train=Y[:40], x_test=X[40:],
             y_test=Y[40:])
    ds = load_dataset(tmp_path / "mnist.npz", val_fraction=0.1, normalize="none")
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (36, 4, 20)
    assert np.array_equal(ds.split("test")[0].numpy(), X[40:].astype(np.float32))
    assert ds.split("test")[1].tolist() == Y[40:].tolist()
    seen = np.concatenate([ds.split("train")[0].numpy(), ds.split("val")[0].numpy()])
    assert sorted(map(tuple, seen)) == sorted(map(tuple, X[:40].astype(np.float32)))
    assert ds.meta["notes"] == ["'x_train' and 'x_test' read as x and 'y_train' and 'y_test' "
                                "as y; the file's own test split (x_test, y_test) is kept as "
                                "the test set, and x_train is split into training and "
                                "validation (val_fraction of it; test_fraction does not "
                                "apply)"]
    np.savez(tmp_path / "odd.npz", x_train=X[:40], y_train=Y[:39], x_test=X[40:],
             y_test=Y[39:])
    with pytest.raises(DataError, match=r"odd\.npz: x_train has 40 samples but y_train has "
                                        r"39; they must match"):
        load_dataset(tmp_path / "odd.npz")


def test_names_that_say_nothing_are_refused_with_what_to_do(tmp_path):
    np.savez(tmp_path / "d.npz", a=X, b=Y)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path / "d.npz")
    assert str(caught.value) == ("d.npz: no array 'x' (it holds a, b); save the samples as x "
                                 "and their labels as y: np.savez(path, x=samples, y=labels)")
    np.savez(tmp_path / "two.npz", X=X, y=Y, images=X, labels=Y)
    with pytest.raises(DataError, match=r"it holds X, images, labels, y, so which are the "
                                        r"samples and which their labels is not clear"):
        load_dataset(tmp_path / "two.npz")


def test_whole_number_labels_stored_as_floats_are_classes(tmp_path):
    np.savez(tmp_path / "d.npz", x=X, y=Y.astype(np.float64))
    ds = load_dataset(tmp_path / "d.npz")
    assert ds.task == "classification" and ds.classes == ["0", "1", "2"]


def test_a_lone_npy_says_to_save_samples_and_labels_together(tmp_path):
    np.save(tmp_path / "x.npy", X)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path / "x.npy")
    assert str(caught.value) == ("x.npy: a .npy file holds one array, and training needs the "
                                 "samples and their labels together: save both in one .npz "
                                 "file, np.savez('data.npz', x=samples, y=labels), and load "
                                 "that")


class Boom:
    """Unpickling this would run code: it must never happen."""

    def __reduce__(self):
        return (_boom, ())


def _boom():  # pragma: no cover - reached only if a file were unpickled
    raise AssertionError("a user's file was unpickled")


@pytest.mark.parametrize("key", ["x", "X", "labels"])
def test_arrays_of_python_objects_are_refused_unread(tmp_path, key):
    objects = np.empty(60, dtype=object)
    objects[:] = [Boom()] * 60
    arrays = {"x": {"x": objects, "y": Y}, "X": {"X": objects, "y": Y},
              "labels": {"images": X, "labels": objects}}[key]
    np.savez(tmp_path / "p.npz", **arrays)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path / "p.npz")
    assert str(caught.value) == (f"p.npz: an array could not be read without unpickling: "
                                 f"{key!r} holds Python objects; save plain numeric or text "
                                 f"arrays")


def test_every_numpy_load_in_the_shipped_code_refuses_pickles():
    """np.load's allow_pickle stays False wherever LayerLoom, its bundles and projects read an
    array (np.load defaults to False; an explicit True anywhere would be a hole)."""
    loads, holes = [], []
    for path in sorted(p for folder in ("graph", "runtime", "ui", "layerloom")
                       for p in (ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"np\.load\(([^()]*(?:\([^()]*\))?[^()]*)\)|read_array\("
                                r"([^()]*)\)", text):
            loads.append(rel)
            args = call.group(1) or call.group(2) or ""
            if "allow_pickle=False" not in args or "allow_pickle=True" in text:
                holes.append(f"{rel}: {call.group(0)}")
        if "pickle.load" in text or "allow_pickle=True" in text:
            holes.append(f"{rel}: unpickles")
    assert not holes, holes
    assert {"runtime/data/npz.py", "graph/export/predict_script.py", "runtime/explain_run.py",
            "runtime/export_project/template/data.py"} <= set(loads)
