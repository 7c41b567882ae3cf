"""TIFF images (``.tif``, ``.tiff``: scanners', microscopes' and satellites' files) are read in
image folders and zips as the other kinds are: they were left out, named among the files not
read, so that a folder of them held "no images". A 16-bit TIFF is scaled as a 16-bit PNG is, a
float one by the range its values keep to (0–1 here), and a TIFF of several pages gives its
first page, said in a note. The bundle's predict.py and the app's uploaded picture read them
alike (they clipped a 16-bit picture's values to white)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset

GRAY = 128  # every image's pixels, as 8 bits, whatever its type


def images(root):
    """Two class folders of 8×8 TIFFs of one gray, stored four ways."""
    for label in ("cells", "debris"):
        (root / label).mkdir(parents=True)
    Image.fromarray(np.full((8, 8), GRAY * 257, np.uint16)).save(root / "cells" / "a16.tif")
    Image.fromarray(np.full((8, 8), GRAY / 255, np.float32)).save(root / "cells" / "float.tiff")
    Image.new("L", (8, 8), GRAY).save(root / "debris" / "stack.tif", save_all=True,
                                      append_images=[Image.new("L", (8, 8), 10)] * 2)
    Image.new("L", (8, 8), GRAY).save(root / "debris" / "b8.TIF")
    return root


def zipped(root, path):
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(root).as_posix())
    return path


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_tiffs_are_read_scaled_and_a_stack_gives_its_first_page(tmp_path, kind):
    root = images(tmp_path / "scans")
    source = root if kind == "folder" else zipped(root, tmp_path / "scans.zip")
    ds = load_dataset(source, val_fraction=0, test_fraction=0)
    assert len(ds.y_train) == 4 and ds.classes == ["cells", "debris"]
    assert ds.input_shape == (1, 8, 8)
    assert ds.normalization["mean"] == [pytest.approx(GRAY / 255, abs=1e-6)]
    notes = ds.meta.get("notes", [])
    assert "1 TIFF holds several pages: its first page is read (debris/stack.tif)" in notes
    assert not any("left out" in note for note in notes), notes


def test_predict_and_the_apps_upload_read_a_16_bit_tiff_as_training_did(tmp_path):
    from layerloom.ui.predict import upload_pixels

    path = tmp_path / "a16.tif"
    Image.fromarray(np.full((8, 8), GRAY * 257, np.uint16)).save(path)
    pixels = predict_script.read_image(path, (1, 8, 8), {})
    assert pixels.shape == (1, 8, 8) and np.allclose(pixels, GRAY / 255)
    assert (upload_pixels(path.read_bytes()) == GRAY).all()
    assert ".tif" in predict_script.IMAGES and ".tiff" in predict_script.IMAGES


def test_an_exported_projects_data_reads_the_tiffs_as_training_did(tmp_path):
    import importlib.util
    from pathlib import Path

    import layerloom.runtime.export_project as project

    spec = importlib.util.spec_from_file_location(
        "_project_data_tiff", Path(project.__file__).parent / "template" / "data.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    root = images(tmp_path / "scans")
    x, y = template.read_images(root, {"image_size": [8, 8], "color": "grayscale",
                                       "classes": ["cells", "debris"]}, root)
    assert x.shape == (4, 1, 8, 8) and y.tolist() == [0, 0, 1, 1]
    assert np.allclose(x, GRAY / 255)


def test_explain_reads_a_16_bit_tiff_as_training_did(tmp_path):
    from layerloom.runtime.explain_run import read_input

    root = images(tmp_path / "scans")
    ds = load_dataset(root, val_fraction=0, test_fraction=0)
    x = read_input(str(root / "cells" / "a16.tif"), ds)
    assert tuple(x.shape) == (1, 8, 8)
    assert np.allclose(x.numpy(), read_input(str(root / "debris" / "b8.TIF"), ds).numpy())


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_lab_tiff_is_read_in_gray(tmp_path, kind):
    """Pillow converts a LAB image to RGB but not to gray: such a TIFF was refused as 'cannot
    be read as an image (conversion from LAB to RGB not supported)' where color=grayscale."""
    root = images(tmp_path / "scans")
    Image.new("LAB", (8, 8), (50, 0, 0)).save(root / "cells" / "lab.tif")
    source = root if kind == "folder" else zipped(root, tmp_path / "scans.zip")
    ds = load_dataset(source, color="grayscale", val_fraction=0, test_fraction=0)
    assert len(ds.y_train) == 5 and tuple(ds.x_train[:].shape) == (5, 1, 8, 8)


def test_predict_reads_a_lab_tiff_in_gray(tmp_path):
    path = tmp_path / "lab.tif"
    Image.new("LAB", (8, 8), (50, 0, 0)).save(path)
    assert predict_script.read_image(path, (1, 8, 8), {}).shape == (1, 8, 8)


def test_a_stack_is_told_from_its_second_page_alone(tmp_path):
    """Counting a TIFF's pages walked every page's directory: a small hostile file can chain a
    million. Only the second page is looked for, and the first is read."""
    from layerloom.runtime.data.images import pages

    path = tmp_path / "stack.tif"
    Image.new("L", (4, 4), 7).save(path, save_all=True,
                                   append_images=[Image.new("L", (4, 4), 9)] * 49)
    with Image.open(path) as image:
        asked = []
        seek = image.seek
        image.seek = lambda frame: (asked.append(frame), seek(frame))[1]
        assert pages(image) == 2 and max(asked) == 1
        assert image.tell() == 0 and image.getpixel((0, 0)) == 7
