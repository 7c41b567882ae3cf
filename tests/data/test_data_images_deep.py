"""16-bit grayscale PNGs (mode I;16) are scaled to 8 bits, not clipped to white, in a folder and
in a zip alike."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.images import eight_bit

LEVELS = {"dark": 1000, "bright": 50000}  # 16-bit values; 8-bit: round(v / 257) = 4 and 195


def deep_png(value: int) -> bytes:
    pixels = np.full((6, 5), value, np.uint16)
    pixels[0, 0] = 0
    pixels[-1, -1] = 65535
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def expected(value: int) -> np.ndarray:
    pixels = np.full((6, 5), round(value / 257) / 255, np.float32)
    pixels[0, 0], pixels[-1, -1] = 0.0, 1.0
    return pixels


@pytest.fixture
def deep_folder(tmp_path):
    root = tmp_path / "deep16"
    for name, value in LEVELS.items():
        (root / name).mkdir(parents=True)
        for i in range(10):
            (root / name / f"{i}.png").write_bytes(deep_png(value))
    return root


def test_a_16_bit_png_opens_as_i16():
    assert Image.open(io.BytesIO(deep_png(1000))).mode == "I;16"


def _check(ds):
    assert ds.input_shape == (1, 6, 5)
    shown, labels = ds.preview(40)
    assert float(shown.min()) == pytest.approx(0.0, abs=1e-5)
    assert not np.allclose(shown.numpy(), 1.0)  # clipped, every pixel was white
    for label, name in enumerate(ds.classes):
        for image in shown[labels == label]:
            np.testing.assert_allclose(image[0].numpy(), expected(LEVELS[name]), atol=1e-5)


def test_a_folder_of_16_bit_pngs_keeps_dark_and_bright_apart(deep_folder):
    _check(load_dataset(deep_folder, seed=0))


def test_a_zip_of_16_bit_pngs_keeps_dark_and_bright_apart(deep_folder, tmp_path):
    path = tmp_path / "deep16.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for png in sorted(deep_folder.rglob("*.png")):
            archive.write(png, png.relative_to(deep_folder.parent).as_posix())
    _check(load_dataset(path, seed=0))


def test_16_bit_pngs_among_rgb_images_are_scaled_too(deep_folder):
    Image.new("RGB", (5, 6), (10, 200, 30)).save(deep_folder / "dark" / "colour.png")
    ds = load_dataset(deep_folder, seed=0)
    assert ds.input_shape == (3, 6, 5)
    shown, _ = ds.preview(40)
    assert float(shown.mean()) < 0.9  # not all white


def test_eight_bit_scales_by_the_type_range():
    wide = Image.fromarray(np.array([[0, 257, 65535]], np.uint16))
    assert np.asarray(eight_bit(wide)).tolist() == [[0, 1, 255]]
    assert eight_bit(Image.new("L", (1, 1), 7)).getpixel((0, 0)) == 7
