"""Results page (AppTest): Try it's and Look inside's picture takes every kind of image a
dataset's pictures are read from (PNG, JPEG, WebP, BMP, GIF, TIFF). Try it took PNG, JPEG and
TIFF only, Look inside no WebP or GIF, so a model trained on a folder of .webp photos could
not be tried on one."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime import train

from .test_pages_results import chain, page

KINDS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        cnn = chain("tiny-cnn", [1, 8, 8], [("Conv2d", {"out_channels": 4, "padding": 1}),
                                            ("ReLU", {}), ("Flatten", {}),
                                            ("Linear", {"out_features": 10})])
        yield home, train(cnn, "digits", {"epochs": 1}, store=store).run_id


def webp() -> bytes:
    picture = np.zeros((40, 40), dtype=np.uint8)
    picture[8:32, 18:22] = 255  # a "1"
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="WEBP")
    return out.getvalue()


def types(at, key: str) -> set[str]:
    return {"." + t.lstrip(".") for t in at.file_uploader(key=key).proto.type}


def test_try_it_takes_a_webp_picture(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a picture").run()
    assert KINDS <= types(at, "results.upload")
    at.file_uploader(key="results.upload").upload("one.webp", webp(), "image/webp").run()
    assert not at.exception and not at.error
    assert [c for c in at.get("plotly_chart") if '"Class probabilities"' in c.proto.spec]


def test_look_inside_takes_one_too(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="inside.source").set_value("Upload").run()
    assert KINDS <= types(at, "inside.upload")
    at.file_uploader(key="inside.upload").upload("one.webp", webp(), "image/webp").run()
    assert not at.exception and not at.error
    assert [c for c in at.caption if c.value.startswith("one.webp: the model says ")]
