"""``layerloom explain --input`` with a file that is no input for the model: a file that cannot
be read as what it is named (a ``.png`` that is no image, a ``.npy`` that is no NumPy array)
exits 2, as any file the CLI cannot read (a graph that is no JSON, --weights that are no
safetensors); a readable file that does not suit the model exits 1. Each message names the file,
what it holds and what the model takes. Both exited 1, and said 'the model takes [4], not an
image' or 'the model takes [1, 28, 28] numbers, not a text', naming neither."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from layerloom.cli import main

pytestmark = pytest.mark.slow  # two short trainings (~25 s)

IMAGE = "an image of [1, 28, 28] (a .png, .jpg… file, or a .npy array of that shape)"
ROW = ("a table row (a .csv, .xlsx, .parquet or .jsonl file whose header names its columns: "
       "sepal length (cm), sepal width (cm), petal length (cm), petal width (cm); or a .npy "
       "array of [4])")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Run 1: seed-cnn on mnist-5k (images); run 2: mlp-tabular on iris (a table)."""
    home = tmp_path_factory.mktemp("home")
    for template, data in (("seed-cnn", "mnist-5k"), ("mlp-tabular", "iris")):
        assert main(["train", template, "-d", data, "--epochs", "1",
                     "--home", str(home)]) == 0
    return home


def _explain(home, run: int, path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["explain", str(run), "--input", str(path), "--home", str(home)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("run, takes", [(1, IMAGE), (2, ROW)], ids=["image", "table"])
def test_a_png_that_is_no_image_exits_2_naming_it_and_what_the_model_takes(
        home, tmp_path, capsys, run, takes):
    fake = tmp_path / "digit.png"
    fake.write_text("these are notes, saved with the wrong name")
    code, err = _explain(home, run, fake, capsys)
    assert (code, err) == (2, f"error: {fake}: not an image Pillow can read (cannot identify "
                              f"image file '{fake}'); the model takes {takes}\n")


def test_a_npy_that_is_no_numpy_array_exits_2(home, tmp_path, capsys):
    fake = tmp_path / "sample.npy"
    fake.write_text("1,2,3,4")
    code, err = _explain(home, 2, fake, capsys)
    assert (code, err) == (2, f"error: {fake}: not a NumPy .npy file (no NumPy header); the "
                              f"model takes {ROW}\n")


def test_readable_files_that_do_not_suit_the_model_exit_1_naming_them(home, tmp_path, capsys):
    text, picture, array = tmp_path / "note.txt", tmp_path / "photo.png", tmp_path / "x.npy"
    text.write_text("a seven, I think")
    Image.new("RGB", (30, 20), "white").save(picture)
    np.save(array, np.zeros((3, 3), np.float32))
    assert _explain(home, 1, text, capsys) == (
        1, f"error: {text} is a text, but the model takes {IMAGE}\n")
    assert _explain(home, 2, picture, capsys) == (
        1, f"error: {picture} is an image (30×20), but the model takes {ROW}\n")
    assert _explain(home, 1, array, capsys) == (
        1, f"error: {array} is an array of [3, 3], but the model takes {IMAGE}\n")
