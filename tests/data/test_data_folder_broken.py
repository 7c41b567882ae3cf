"""A folder of class folders with files among its images that are none (an empty download, a
web page saved as .jpg): refused as the folder loads, every one named; one the few sampled
headers missed loaded, and the run failed when training reached it (a test image: after the
last epoch)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset


def folder(tmp_path, n=60):
    rng = np.random.default_rng(0)
    root = tmp_path / "pets"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root


def test_every_file_that_is_no_image_is_named_as_the_folder_loads(tmp_path):
    root = folder(tmp_path)
    (root / "dog" / "057.png").write_bytes(b"")  # past the sampled headers (the first 64)
    (root / "dog" / "058.png").write_text("<html>Not Found</html>")
    (root / "dog" / "059.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DataError) as refused:
        load_dataset(root)
    assert refused.value.entry == "dog/057.png" and refused.value.unreadable
    assert str(refused.value).startswith("pets, entry 'dog/057.png': cannot be read as an image (")
    assert str(refused.value).endswith(
        "), nor can 'dog/058.png', 'dog/059.png' (3 files in all); remove them or replace "
        "them with good copies, and load the data again, or leave them out with "
        "leave_out_broken=True (named in the notes)")


def test_one_file_that_is_no_image_is_named_alone(tmp_path):
    root = folder(tmp_path)
    (root / "dog" / "059.png").write_text("<html>Not Found</html>")
    with pytest.raises(DataError, match=r"^pets, entry 'dog/059\.png': cannot be read as an "
                                        r"image \(.*\); remove it or replace it with a good "
                                        r"copy, and load the data again, or leave it out "
                                        r"with leave_out_broken=True \(named in the notes\)$"):
        load_dataset(root)
    (root / "dog" / "059.png").unlink()
    assert len(load_dataset(root).classes) == 2


def test_a_zips_images_that_cannot_be_read_are_named_together(tmp_path):
    root = folder(tmp_path, n=5)
    (root / "cat" / "001.png").write_bytes(b"")
    (root / "dog" / "003.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted(root.rglob("*.png")):
            zipped.write(file, f"pets/{file.relative_to(root).as_posix()}")
    with pytest.raises(DataError) as refused:
        load_dataset(archive)
    assert str(refused.value).startswith("pets.zip, entry 'pets/cat/001.png': cannot be read "
                                         "as an image (")
    assert str(refused.value).endswith(
        "), nor can 'pets/dog/003.png' (2 files in all); remove them or replace them with "
        "good copies, and load the data again, or leave them out with leave_out_broken=True "
        "(named in the notes)")
