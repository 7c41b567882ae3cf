"""A picture explained (the Results page's "Why this class" upload, ``layerloom explain
--input``) is prepared as the app's Try it and the bundle's predict.py prepare it: a digit for a
model of MNIST-made digits is cropped, boxed and centred by mass, so that all of them give the
same probabilities for the same file."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from layerloom.runtime.data import load_dataset
from layerloom.runtime.explain_run import read_input


def _bar_png(tmp_path) -> tuple[bytes, object]:
    pixels = np.zeros((64, 64), np.uint8)
    pixels[8:56, 40:50] = 255  # a "1" drawn off-centre, to the right
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    path = tmp_path / "one.png"
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue(), path


def test_an_uploaded_digit_is_prepared_as_try_it_prepares_it(tmp_path):
    from layerloom.ui import predict

    data, path = _bar_png(tmp_path)
    ds = load_dataset("mnist-5k")
    explained = read_input(path, ds)
    tried = predict.from_raw(predict.picture_input(predict.upload_pixels(data), ds)[None], ds)[0]
    torch.testing.assert_close(explained, tried, atol=1e-5, rtol=0)
    # centred by mass, as MNIST's digits are: the stroke is no longer at the right edge
    raw = predict.picture_input(predict.upload_pixels(data), ds)[0]
    columns = raw.sum(axis=0)
    assert abs(float((columns * np.arange(28)).sum() / columns.sum()) - 13.5) < 1.0


def test_other_pictures_are_resized_as_before(tmp_path):
    _, path = _bar_png(tmp_path)
    ds = load_dataset("digits")  # 8×8 digits: no MNIST frame
    x = read_input(path, ds)
    assert tuple(x.shape) == tuple(ds.input_shape)
