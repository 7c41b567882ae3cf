"""A target of whole numbers too many to be read as classes (more than 20 distinct: a species
id, a product code kept as a number) is read as a quantity, and a note says so and how to read
them as classes: it was read as a regression without a word, a design with a class per id then
told to 'set the variable classes to 1'."""

from __future__ import annotations

import numpy as np

from layerloom.runtime.data import load_dataset


def table(path, labels):
    rng = np.random.default_rng(0)
    path.write_text("a,b,species_id\n" + "".join(
        f"{rng.normal():.3f},{rng.normal():.3f},{label}\n" for label in labels))
    return path


def test_many_whole_numbers_are_a_quantity_said_with_how_to_make_them_classes(tmp_path):
    path = table(tmp_path / "fish.csv", [1 + i % 30 for i in range(300)])
    ds = load_dataset(path)
    assert ds.task == "regression"
    assert ("species_id: 30 different whole numbers (1 to 30), read as a quantity to predict "
            "(regression); if each is a class, load the file with task=classification"
            ) in ds.meta["notes"]
    classes = load_dataset(path, task="classification")
    assert len(classes.classes) == 30
    assert not any("a quantity to predict" in note for note in classes.meta.get("notes", []))


def test_a_measured_target_says_nothing_of_classes(tmp_path):
    ds = load_dataset(table(tmp_path / "fish.csv", [i * 0.37 for i in range(300)]))
    assert ds.task == "regression"
    assert not any("task=classification" in note for note in ds.meta.get("notes", []))
