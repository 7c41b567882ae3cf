"""Images in folders inside a class folder (``dog/rejected``, ``cat/2019``) are read as that
class, as before, and now said: a folder of pictures set aside was trained on as their class
without a word."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import load_dataset


def tree(root):
    for i in range(10):
        for name in ("cat/", "dog/", "dog/rejected/", "cat/2019/" if i < 2 else "cat/"):
            (root / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((6, 6), 20 * i, np.uint8)).save(root / f"{name}{i}.png")
    return root


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_images_inside_a_class_folder_are_read_as_it_and_said(tmp_path, kind):
    root = tree(tmp_path / "pets")
    source = root
    if kind == "zip":
        source = tmp_path / "pets.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for file in sorted(root.rglob("*.png")):
                archive.write(file, file.relative_to(root).as_posix())
    ds = load_dataset(source, val_fraction=0, test_fraction=0)
    assert len(ds.y_train) == 32 and ds.classes == ["cat", "dog"]
    assert ds.meta["notes"] == [
        "12 images lie in folders inside their class folder and are read as that class: "
        "dog/rejected (10), cat/2019 (2); move out any that are not of their class"]


def test_a_folder_of_class_folders_of_images_has_no_such_note(tmp_path):
    root = tree(tmp_path / "pets")
    for sub in ("dog/rejected", "cat/2019"):
        for file in (root / sub).iterdir():
            file.unlink()
        (root / sub).rmdir()
    assert not load_dataset(root).meta.get("notes")
