"""The exported project's data.py reads images as LayerLoom does: 16-bit PNGs scaled by their
range (Pillow's convert would clip them white), so a project trains on the pixels LayerLoom
showed."""

from __future__ import annotations

import importlib.util

import numpy as np
from PIL import Image

from layerloom.runtime.data import load_dataset


def _template_data():
    from pathlib import Path

    import layerloom.runtime.export_project as project

    path = Path(project.__file__).parent / "template" / "data.py"
    spec = importlib.util.spec_from_file_location("_project_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_16_bit_pngs_read_by_the_project_as_by_layerloom(tmp_path):
    root = tmp_path / "deep"
    levels = {"dark": 5_000, "bright": 60_000}
    for name, level in levels.items():
        (root / name).mkdir(parents=True)
        for i in range(4):
            pixels = np.full((8, 8), level + 100 * i, dtype=np.uint16)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    data = _template_data()
    classes = ["bright", "dark"]
    x, y = data.read_images(root, {"image_size": [8, 8], "color": "grayscale", "scale": 255.0,
                                   "classes": classes}, tmp_path)
    by_class = {n: x[y == classes.index(n)] for n in levels}
    assert abs(by_class["dark"].mean() - 5_150 / 65535) < 2 / 255
    assert abs(by_class["bright"].mean() - 60_150 / 65535) < 2 / 255
    ds = load_dataset(root, seed=0, val_fraction=0, test_fraction=0)
    raw = ds.preview(len(ds.x_train))[0].numpy()
    assert sorted(np.round(raw.reshape(len(raw), -1).mean(1), 3).tolist()) == \
        sorted(np.round(x.reshape(len(x), -1).mean(1), 3).tolist())
