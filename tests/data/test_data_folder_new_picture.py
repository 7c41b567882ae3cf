"""A model trained on a folder of pictures of several sizes saw each cut to its centre (the
folder's default, resize=crop); a new picture is brought to its size the same way by the
Results page's Try it, Look inside (and ``layerloom explain``) and the bundle's predict.py.
They stretched it instead, so a photo of other proportions than the size reached the model
squeezed, unlike any picture it was trained on."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset, normalize
from layerloom.runtime.data.folder import decode
from layerloom.runtime.data.preprocessing import preprocessing
from layerloom.runtime.explain_run import read_input
from layerloom.ui.predict import picture_input, upload_pixels


def stripes(width: int, height: int) -> Image.Image:
    """Bands across the width: cutting the centre and stretching the whole differ."""
    x = np.arange(width)[None, :, None]
    pixels = np.broadcast_to((x * 255 // max(1, width - 1)) % 256, (height, width, 3))
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def folder(tmp_path):
    for name in ("wide", "tall"):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for k in range(5):
            size = (60 + 8 * k, 30 + 2 * k) if name == "wide" else (30 + 2 * k, 60 + 8 * k)
            stripes(*size).save(tmp_path / "photos" / name / f"{k}.png")
    return tmp_path / "photos"


def test_a_new_picture_is_cut_to_its_centre_as_the_folders_were(tmp_path):
    ds = load_dataset(folder(tmp_path), image_size=[24, 24])
    assert preprocessing(ds)["resize"] == "crop"
    new = tmp_path / "new.png"
    stripes(90, 30).save(new)
    trained = decode(new, (24, 24), "rgb", "crop").transpose(2, 0, 1) / 255.0  # (C, H, W)
    stretched = np.asarray(stripes(90, 30).resize((24, 24), Image.Resampling.BILINEAR),
                           dtype=np.float64).transpose(2, 0, 1) / 255.0
    assert not np.allclose(trained, stretched, atol=0.05)  # the two ways differ here
    shipped = predict_script.read_image(new, ds.input_shape, preprocessing(ds))
    np.testing.assert_allclose(shipped, trained, atol=1e-6)
    tried = picture_input(upload_pixels(new.read_bytes()), ds)
    np.testing.assert_allclose(tried, trained, atol=1e-6)
    explained = read_input(new, ds).numpy()
    np.testing.assert_allclose(explained, normalize.apply(trained[None].astype(np.float32),
                                                          ds.normalization)[0], atol=1e-5)


def test_a_folder_read_stretched_stretches_a_new_picture_too(tmp_path):
    ds = load_dataset(folder(tmp_path), image_size=[24, 24], resize="stretch")
    assert "resize" not in preprocessing(ds)
    out = io.BytesIO()
    stripes(90, 30).save(out, "PNG")
    tried = picture_input(upload_pixels(out.getvalue()), ds)
    stretched = np.asarray(stripes(90, 30).resize((24, 24), Image.Resampling.BILINEAR),
                           dtype=np.float64).transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(tried, stretched, atol=1e-6)
