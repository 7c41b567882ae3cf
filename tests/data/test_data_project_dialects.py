"""An exported training project's data.py (runtime/export_project/template/data.py) reads the
user's file as LayerLoom did, so that the project ships the file itself and not arrays in its
place: a Windows spreadsheet's CSV (Windows-1252, ';', decimal commas and thousands, a row
without its label) and a zip of photos stored sideways, in WebP among JPEGs."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from PIL import Image

from layerloom.graph.templates import load_template
from layerloom.runtime.data import load_dataset
from layerloom.runtime.export_project import export_project

from .test_data_images_wild import _Unflagged, picture

CONFIG = {"epochs": 1, "batch_size": 8}


def test_a_windows_spreadsheet_csv_is_read_by_the_project_itself(tmp_path):
    rows = [f"{['Besançon', 'Nîmes'][i % 2]};{1000 * i + 1250:,}".replace(",", ".")
            + f",5;{i % 7},5;{'ab'[i % 3 > 0]}" for i in range(60)]
    rows[12] = "Nîmes;1.200,5;3,5;"  # no label: left out by LayerLoom and by the project
    path = tmp_path / "ventes.csv"
    path.write_bytes(("ville;revenu;taille;achat\r\n" + "\r\n".join(rows)).encode("cp1252"))
    ds = load_dataset(path)
    assert [c.get("written") for c in ds.meta["columns"]] == \
        [None, {"decimal": ",", "thousands": "."}, {"decimal": ","}]
    graph = load_template("mlp-tabular")
    graph.variables.update(features=4, classes=2, hidden=8)
    result = export_project(graph, str(path), tmp_path / "proj", CONFIG)
    assert result.data == "table" and result.notes == []  # no arrays shipped in its place
    spec = json.loads((result.path / "config.json").read_text())["data"]
    assert spec["file"] == "data/ventes.csv"
    assert spec["columns"][1] == {"name": "revenu", "kind": "numeric",
                                  "written": {"decimal": ",", "thousands": "."}}


def test_sideways_photos_and_webp_are_read_by_the_project_itself(tmp_path):
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(24):
            pixels = rng.integers(0, 255, (8, 10, 3), dtype=np.uint8)
            pixels[:, :5, 0] = 250  # the left half red: the top, once turned
            photo = io.BytesIO()
            if i % 3:
                Image.fromarray(pixels).save(photo, "JPEG", exif=exif.tobytes(), quality=95)
                name = f"shapes/{'ab'[i % 2]}/{i}.jpg"
            else:
                Image.fromarray(pixels.transpose(1, 0, 2)[::-1]).save(photo, "WEBP",
                                                                      lossless=True)
                name = f"shapes/{'ab'[i % 2]}/{i}.webp"
            archive.writestr(name, photo.getvalue())
    (tmp_path / "shapes.zip").write_bytes(buffer.getvalue())
    ds = load_dataset(tmp_path / "shapes.zip")
    assert ds.input_shape == (3, 10, 8) and ds.meta["notes"][0].startswith("16 photos turned")
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = [3, 10, 8]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=2)
    result = export_project(graph, str(tmp_path / "shapes.zip"), tmp_path / "img", CONFIG)
    assert result.data == "images" and result.notes == []


def test_utf8_class_names_without_the_zip_flag_are_the_projects_classes(tmp_path):
    path = tmp_path / "drinks.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for label in ("café", "thé"):
            for i in range(6):
                archive.writestr(_Unflagged(f"{label}/{i}.png"), picture(size=(8, 8)))
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = [3, 8, 8]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=2)
    result = export_project(graph, str(path), tmp_path / "proj", CONFIG)
    assert result.data == "images" and result.notes == []
    assert json.loads((result.path / "config.json").read_text())["data"]["classes"] == \
        ["café", "thé"]
