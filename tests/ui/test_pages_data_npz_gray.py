"""Data page: an .npz of 8-bit images without a channel axis ([N, 28, 28] uint8, as MNIST
ships) fits the seed CNN (Input [1, 28, 28]) as it comes, the note saying the axis was added;
the file's option channel_axis=none keeps [N, 28, 28] and the page then names that option."""

from __future__ import annotations

import io

import numpy as np
import pytest
from test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def mnist_like() -> bytes:
    x = np.zeros((40, 28, 28), np.uint8)
    y = np.arange(40) % 2
    for i, label in enumerate(y):
        (x[i, :, 4 + i % 20] if label else x[i, 4 + i % 20, :]).fill(255)
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    return buffer.getvalue()


def test_8_bit_images_without_a_channel_axis_fit_the_seed_cnn():
    at = page("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("mnist.npz", mnist_like()).run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[1] == "[1, 28, 28] float32"
    shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info]).replace("\\", "")
    assert "given a channel axis: [N, 1, H, W] [40, 1, 28, 28]" in shown
    assert not [t for t in texts(at.error) if "channel" in t]
    at.selectbox(key="data.opt.mnist.npz.channel_axis").select("none").run()
    assert texts(at.metric)[1] == "[28, 28] float32"
    assert any("load mnist.npz with the option channel_axis=add" in t for t in texts(at.error))
