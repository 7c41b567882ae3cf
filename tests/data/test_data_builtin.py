"""Every built-in dataset, swept from the registry, plus splitting and normalisation."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from layerloom.runtime.data import DataError, list_datasets, load_dataset

BUILTINS = {entry["name"]: entry for entry in list_datasets()}
EXPECTED = {  # name: (input_shape, dtype, number of classes, number of samples)
    "mnist-5k": ((1, 28, 28), "float32", 10, 5000),
    "digits": ((1, 8, 8), "float32", 10, 1797),
    "iris": ((4,), "float32", 3, 150),
    "wine": ((13,), "float32", 3, 178),
    "breast-cancer": ((30,), "float32", 2, 569),
    "spirals": ((2,), "float32", 2, 1000),
    "moons": ((2,), "float32", 2, 1000),
    "circles": ((2,), "float32", 2, 1000),
    "xor": ((2,), "float32", 2, 1000),
    "waveforms": ((1, 128), "float32", 5, 2000),
    "text-sentiment": ((32,), "int64", 2, 2000),
}


def test_the_registry_lists_every_expected_builtin():
    assert set(BUILTINS) == set(EXPECTED)
    for entry in BUILTINS.values():
        assert {"name", "description", "task", "input_shape", "dtype", "options"} <= set(entry)
        for option in entry["options"]:
            assert {"name", "default", "help"} <= set(option)
    json.dumps(list_datasets())


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtin_loads_with_the_declared_shape_dtype_and_classes(name):
    shape, dtype, n_classes, n_samples = EXPECTED[name]
    ds = load_dataset(name, seed=0)
    assert ds.name == ds.source == name
    assert ds.task == BUILTINS[name]["task"] == "classification"
    assert ds.input_shape == shape and list(shape) == BUILTINS[name]["input_shape"]
    assert ds.dtype == dtype == BUILTINS[name]["dtype"]
    assert len(ds.classes) == n_classes and ds.target_dim is None
    sizes = [len(ds.x_train), len(ds.x_val), len(ds.x_test)]
    assert sum(sizes) == n_samples
    assert sizes[2] == pytest.approx(0.2 * n_samples, abs=1)
    assert sizes[1] == pytest.approx(0.1 * n_samples, abs=1)
    for split in ("train", "val", "test"):
        x, y = ds.split(split)
        assert tuple(x.shape[1:]) == shape
        assert x.dtype == (torch.int64 if dtype == "int64" else torch.float32)
        assert y.dtype == torch.int64 and y.shape == (len(x),)
        assert int(y.min()) >= 0 and int(y.max()) < n_classes
    counts = ds.class_counts()
    assert all(count > 0 for count in counts["train"].values())
    assert sum(counts["test"].values()) == sizes[2]
    summary = json.loads(json.dumps(ds.describe()))
    assert summary["splits"]["train"]["size"] == sizes[0]
    assert summary["splits"]["val"]["class_counts"] == counts["val"]
    x, y = ds.preview(4)
    assert x.shape == (4, *shape) and torch.equal(y, ds.y_train[:4])


@pytest.mark.parametrize("name", ["mnist-5k", "digits"])
def test_images_are_scaled_to_unit_range_then_standardised_on_train(name):
    ds = load_dataset(name, seed=0)
    assert ds.normalization["kind"] == "channel"
    assert float(ds.x_train.mean()) == pytest.approx(0.0, abs=1e-4)
    assert float(ds.x_train.std()) == pytest.approx(1.0, abs=1e-3)
    raw, _ = ds.preview(len(ds.x_train))  # the normalisation undone
    assert float(raw.min()) == pytest.approx(0.0, abs=1e-5)
    assert float(raw.max()) == pytest.approx(1.0, abs=1e-5)
    assert ds.normalization["mean"][0] == pytest.approx(float(raw.double().mean()), rel=1e-5)


def test_tabular_builtins_are_standardised_per_feature_on_the_training_split_only():
    ds = load_dataset("breast-cancer", seed=3)
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(30), atol=1e-5)
    assert torch.allclose(ds.x_train.std(0, unbiased=False), torch.ones(30), atol=1e-4)
    assert not torch.allclose(ds.x_test.mean(0), torch.zeros(30), atol=1e-3)
    assert len(ds.normalization["mean"]) == len(ds.normalization["std"]) == 30


def test_the_same_seed_gives_the_same_split_and_another_seed_another():
    first, again = load_dataset("moons", seed=5), load_dataset("moons", seed=5)
    other = load_dataset("moons", seed=6)
    for split in ("train", "val", "test"):
        assert torch.equal(first.split(split)[0], again.split(split)[0])
        assert torch.equal(first.split(split)[1], again.split(split)[1])
    assert not torch.equal(first.x_test, other.x_test)


def test_splits_are_disjoint_and_cover_every_sample():
    ds = load_dataset("circles", seed=1, n_samples=300)  # continuous points: all distinct
    rows = [{tuple(row) for row in split.tolist()} for split in (ds.x_train, ds.x_val, ds.x_test)]
    assert sum(len(r) for r in rows) == 300
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])


def test_classification_splits_are_stratified():
    ds = load_dataset("iris", seed=2)
    counts = ds.class_counts()
    assert set(counts["test"].values()) == {10}
    assert set(counts["val"].values()) == {5}
    assert set(counts["train"].values()) == {35}
    assert ds.meta["stratified"] is True


def test_unbalanced_tiny_classes_fall_back_to_a_plain_split():
    ds = load_dataset("spirals", seed=0, n_samples=10, arms=10)  # one sample per class
    assert ds.meta["stratified"] is False
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 10


def test_fractions_of_zero_leave_empty_splits():
    ds = load_dataset("xor", seed=0, val_fraction=0.0, test_fraction=0.0, n_samples=50)
    assert len(ds.x_train) == 50 and ds.x_val.shape == (0, 2) and ds.y_test.shape == (0,)
    assert ds.class_counts()["val"] == {"same sign": 0, "different sign": 0}


@pytest.mark.parametrize("name", ["spirals", "moons", "circles", "xor"])
def test_toy_sets_take_size_and_noise_and_are_seeded(name):
    a = load_dataset(name, seed=4, n_samples=200, noise=0.3)
    b = load_dataset(name, seed=4, n_samples=200, noise=0.3)
    quiet = load_dataset(name, seed=4, n_samples=200, noise=0.0)
    assert len(a.x_train) + len(a.x_val) + len(a.x_test) == 200
    assert torch.equal(a.x_train, b.x_train)
    assert not torch.equal(a.x_train, quiet.x_train)


def test_waveforms_and_text_take_a_length():
    waves = load_dataset("waveforms", seed=0, length=64, n_samples=100)
    assert waves.input_shape == (1, 64)
    assert waves.classes == ["sine", "square", "sawtooth", "triangle", "chirp"]
    text = load_dataset("text-sentiment", seed=0, length=12, n_samples=200)
    assert text.input_shape == (12,) and text.x_train.dtype == torch.int64
    assert text.vocab[:2] == ["<pad>", "<unk>"]
    assert int(text.x_train.max()) < len(text.vocab)


def test_the_text_set_is_learnable_from_word_counts():
    from sklearn.linear_model import LogisticRegression

    ds = load_dataset("text-sentiment", seed=0, n_samples=600)

    def bags(x):
        return np.stack([np.bincount(row, minlength=len(ds.vocab)) for row in x.numpy()])

    model = LogisticRegression(max_iter=500).fit(bags(ds.x_train), ds.y_train.numpy())
    assert model.score(bags(ds.x_test), ds.y_test.numpy()) > 0.9


def test_an_unknown_option_names_the_known_ones():
    with pytest.raises(DataError, match=r"iris has no option 'noise' \(its options: none\)"):
        load_dataset("iris", noise=0.1)
    with pytest.raises(DataError, match=r"moons has no option 'length' \(its options: n_samples"):
        load_dataset("moons", length=3)


def test_a_bad_option_value_names_the_option():
    with pytest.raises(DataError, match="moons: option 'noise' must be at least 0, got -1"):
        load_dataset("moons", noise=-1)
    with pytest.raises(DataError, match="waveforms: option 'length' must be a whole number"):
        load_dataset("waveforms", length="long")


def test_an_unknown_name_lists_the_builtins_and_suggests_one():
    with pytest.raises(DataError, match=r"no built-in dataset 'mnist' .*did you mean 'mnist-5k'"):
        load_dataset("mnist")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "must be below 1"),
    ({"test_fraction": 1.5}, "test_fraction must be a number in"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_bad_split_settings_are_refused(kwargs, message):
    with pytest.raises(DataError, match=message):
        load_dataset("iris", **kwargs)


def test_the_data_package_does_not_import_the_ui():
    """Read from the source, not sys.modules, which other tests in the process may fill."""
    import layerloom.runtime.data as package

    for source in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("streamlit", "layerloom.ui")), source.name
