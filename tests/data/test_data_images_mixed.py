"""Users' own photos differ in size and colour: a folder or zip of them loads, and the notes say
what loading did that the preview's small pictures hide: every image brought to 28×28 (the
default where sizes differ), and grayscale scans read as RGB beside colour photos. Both were
done without a word: 640×480 photos became 28×28 with nothing saying image_size keeps more."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import load_dataset

SIZES = [(64, 48), (40, 40), (30, 50)]  # (width, height)


def photos(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    for label in ("chats", "chiens"):
        (root / label).mkdir(parents=True)
        for i in range(6):
            width, height = SIZES[i % 3]
            gray = i % 2 == 0
            pixels = rng.integers(0, 255, (height, width) if gray else (height, width, 3),
                                  dtype=np.uint8)
            Image.fromarray(pixels).save(root / label / f"IMG_{i}.png")
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted(root.rglob("*.png")):
            zipped.write(file, file.relative_to(root).as_posix())
    return root, archive


@pytest.mark.parametrize("kind, how", [
    ("folder", "cropped to fit (the centre kept) as each is read"),
    ("zip", "resized to it (stretched where the proportions differ)")])
def test_sizes_and_grayscale_among_colour_are_said(tmp_path, kind, how):
    root, archive = photos(tmp_path)
    ds = load_dataset(root if kind == "folder" else archive)
    assert ds.input_shape == (3, 28, 28)
    assert ds.meta["notes"] == [
        f"images of 3 sizes (30×50 to 64×48) brought to 28×28, the default where sizes "
        f"differ: {how}; choose image_size to keep more detail",
        "6 of the 12 images are grayscale: read as RGB (their gray in all three channels), "
        "since the others have colour; choose color=grayscale to read every image in gray"]
    x = ds.split("train")[0][:2]
    assert tuple(x.shape[1:]) == (3, 28, 28)


def test_nothing_is_said_where_the_user_chose(tmp_path):
    root, archive = photos(tmp_path)
    for source in (root, archive):
        ds = load_dataset(source, image_size=32, color="grayscale")
        assert ds.input_shape == (1, 32, 32) and not ds.meta.get("notes")
