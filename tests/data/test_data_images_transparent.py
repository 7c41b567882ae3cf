"""PNGs of shapes cut out of a transparent background (icons, glyphs, sprites: black where
drawn, alpha 0 elsewhere, the colour under it black too) are read as they look, laid on
paper: white behind a dark drawing, black behind a light one. Dropping the alpha channel made
every one a black square, nothing for the model to learn. Said in the notes."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layerloom.runtime import load_dataset
from layerloom.runtime.data.images import eight_bit


def icon(shape: str, shift: int, ink=(0, 0, 0, 255), mode: str = "RGBA") -> bytes:
    image = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    box = (2 + shift, 2, 11 + shift, 13)
    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=ink)
    out = io.BytesIO()
    (image.convert("LA") if mode == "LA" else image).save(out, format="PNG")
    return out.getvalue()


def files(ink=(0, 0, 0, 255), mode: str = "RGBA") -> dict[str, bytes]:
    return {f"{shape}/{i}.png": icon(shape, i % 3, ink, mode)
            for shape in ("circle", "square") for i in range(6)}


def as_source(tmp_path, where: str, named: dict[str, bytes]):
    if where == "zip":
        path = tmp_path / "icons.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in named.items():
                archive.writestr(name, data)
        return path
    for name, data in named.items():
        (tmp_path / "icons" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "icons" / name).write_bytes(data)
    return tmp_path / "icons"


@pytest.mark.parametrize("where", ["folder", "zip"])
def test_black_icons_on_transparency_read_black_on_white(tmp_path, where):
    ds = load_dataset(as_source(tmp_path, where, files()), val_fraction=0, test_fraction=0)
    shown, _ = ds.preview(12)
    pixels = shown.numpy()
    assert pixels.std() > 0.3  # was 0: every image black
    assert np.allclose(pixels[:, :, 0, 0], 1.0, atol=1e-4)  # the corner: paper
    assert np.allclose(pixels[:, :, 7, 7], 0.0, atol=1e-4)  # the middle: ink
    assert ds.meta["notes"] == [
        "12 of the 12 images have an alpha channel: those with transparent pixels are read as "
        "laid on paper, white behind what is drawn dark, black behind what is drawn light"]


@pytest.mark.parametrize("where", ["folder", "zip"])
def test_white_gray_icons_read_white_on_black(tmp_path, where):
    ds = load_dataset(as_source(tmp_path, where, files((255, 255, 255, 255), "LA")),
                      val_fraction=0, test_fraction=0)
    assert ds.input_shape == (1, 16, 16)
    shown = ds.preview(12)[0].numpy()
    assert np.allclose(shown[:, 0, 0, 0], 0.0, atol=1e-4)
    assert np.allclose(shown[:, 0, 7, 7], 1.0, atol=1e-4)


def test_a_picture_given_to_the_model_is_laid_on_paper_as_its_training_images():
    """Try it and explain read an uploaded picture through eight_bit, as training does."""
    picture = Image.open(io.BytesIO(icon("circle", 0)))
    flat = eight_bit(picture)
    assert flat.mode == "RGB"
    assert flat.getpixel((0, 0)) == (255, 255, 255) and flat.getpixel((7, 7)) == (0, 0, 0)
    half = Image.new("RGBA", (2, 2), (0, 200, 0, 128))  # no pixel fully transparent
    assert eight_bit(half) is half  # its colours as stored, as before
