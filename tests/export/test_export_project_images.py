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


def test_an_8_bit_channels_last_one_hot_npz_is_read_by_the_project_as_by_layerloom(tmp_path):
    """The project's data.py reads the file itself (no arrays shipped instead) into
    LayerLoom's tensors: the images turned [N, C, H, W] and scaled to [0, 1], the one-hot
    labels as classes."""
    import json

    from layerloom.graph.templates import load_template
    from layerloom.runtime.export_project import export_project

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    y = np.eye(3, dtype=np.float32)[np.arange(40) % 3]
    np.savez(tmp_path / "pics.npz", x=x, y=y)
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = [3, 8, 8]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=3)
    config = {"epochs": 1, "batch_size": 8}
    result = export_project(graph, str(tmp_path / "pics.npz"), tmp_path / "proj", config)
    assert result.data == "npz" and result.notes == []
    data = _template_data()
    spec = json.loads((result.path / "config.json").read_text())["data"]
    got_x, got_y = data.read_all(spec, result.path)
    ds = load_dataset(tmp_path / "pics.npz", seed=0)
    assert got_x.shape == (40, 3, 8, 8) and sorted(set(got_y.tolist())) == [0, 1, 2]
    everything = np.concatenate([ds.x_train.numpy(), ds.x_val.numpy(), ds.x_test.numpy()])
    assert np.allclose(np.sort(got_x.reshape(40, -1).sum(1)),
                       np.sort(everything.reshape(40, -1).sum(1)), atol=1e-3)
