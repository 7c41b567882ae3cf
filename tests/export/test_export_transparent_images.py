"""The standalone readers of pictures, the exported project's data.py and the bundle's
predict.py, read a PNG with transparent pixels as the app does (runtime/data/images.py's
on_paper): a black icon on a transparent background is a black shape on white paper, not a
black square (the alpha channel dropped kept the black stored under it)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.images import eight_bit


def icon(shape: str, shift: int, mode: str = "RGBA", ink=(0, 0, 0, 255)) -> Image.Image:
    image = Image.new("RGBA", (12, 12), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    box = (2 + shift, 2, 8 + shift, 10)
    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=ink)
    if mode == "LA":
        return image.convert("LA")
    if mode == "P":  # a palette with a transparent entry, as GIF and small PNGs keep them
        return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return image


def saved(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.mode == "P":
        image.save(path, transparency=image.getpixel((0, 0)))
    else:
        image.save(path)
    return path


def template_data():
    import layerloom.runtime.export_project as project

    path = Path(project.__file__).parent / "template" / "data.py"
    spec = importlib.util.spec_from_file_location("_project_data_alpha", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def app_pixels(path: Path, mode: str) -> np.ndarray:
    """The app's reading: images.eight_bit (on paper), then gray or RGB, in [0, 1]."""
    with Image.open(path) as image:
        return np.asarray(eight_bit(image).convert(mode), dtype=np.float64) / 255.0


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_the_bundles_predict_py_reads_an_icon_as_the_app(tmp_path, mode):
    path = saved(icon("circle", 1, mode), tmp_path / f"icon-{mode}.png")
    for channels, gray in ((1, "L"), (3, "RGB")):
        got = predict_script.read_image(path, (channels, 12, 12), {})
        want = app_pixels(path, gray)
        want = want[None] if channels == 1 else want.transpose(2, 0, 1)
        assert got.shape == want.shape
        assert np.array_equal(got, want), (mode, channels)
        assert got[:, 0, 0].tolist() == [1.0] * channels  # paper, not black
        assert got.min() == 0.0  # the black ink


@pytest.mark.parametrize("color", ["grayscale", "rgb"])
def test_the_projects_data_py_reads_icons_as_the_app(tmp_path, color):
    root = tmp_path / "icons"
    for i in range(4):
        for shape in ("circle", "square"):
            saved(icon(shape, i % 3, ("RGBA", "LA", "P")[i % 3]), root / shape / f"{i}.png")
    classes = ["circle", "square"]
    x, y = template_data().read_images(root, {"image_size": [12, 12], "color": color,
                                              "scale": 255.0, "classes": classes}, tmp_path)
    assert x[:, :, 0, 0].min() == 1.0  # every corner is paper: white
    ds = load_dataset(root, seed=0, val_fraction=0, test_fraction=0, color=color)
    raw = ds.preview(len(ds.x_train))[0].numpy()
    assert raw.shape == x.shape
    assert sorted(np.round(raw.reshape(len(raw), -1).sum(1), 3).tolist()) == \
        sorted(np.round(x.reshape(len(x), -1).sum(1), 3).tolist())


def test_a_zip_of_icons_exports_as_a_project_carrying_the_zip(tmp_path):
    """The export checks that data.py gives LayerLoom's tensors: a zip of black icons on
    transparent backgrounds is carried as the zip, not as split arrays with the note "data.py's
    train split differs from LayerLoom's"."""
    import zipfile

    from layerloom.graph.templates import load_template
    from layerloom.runtime.export_project import export_project

    with zipfile.ZipFile(tmp_path / "icons.zip", "w") as archive:
        for i in range(12):
            shape = ("circle", "square")[i % 2]
            out = io.BytesIO()
            icon(shape, i % 3).save(out, format="PNG")
            archive.writestr(f"{shape}/{i}.png", out.getvalue())
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = [3, 12, 12]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=2)
    result = export_project(graph, {"source": str(tmp_path / "icons.zip")}, tmp_path / "proj",
                            {"epochs": 1, "batch_size": 4})
    assert result.data == "images" and result.notes == [], result.notes
