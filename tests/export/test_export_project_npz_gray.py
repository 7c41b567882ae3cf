"""An .npz of images without a channel axis ([N, H, W]) exported as a project: its data.py
reads the file as LayerLoom read it for the design, the axis added ([N, 1, H, W], 8-bit
images, or floats loaded with channel_axis=add) or not (a design of Input [H, W]), and the
project carries the file itself, not split arrays with the note "data.py's train split
differs"."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from layerloom.graph.templates import load_template
from layerloom.runtime.export_project import export_project
from layerloom.runtime.runner import load_from_spec

CONFIG = {"epochs": 1, "batch_size": 8}


def small_cnn():
    graph = load_template("seed-cnn")  # Input [1, 28, 28]
    graph.node("image").params["shape"] = [1, 8, 8]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=2)
    return graph


def rows_design() -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [8, 8]}},
        {"id": "rows", "type": "LSTM", "params": {"hidden_size": 4}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]}


def splits_equal(project, ds) -> None:
    """The project's data.py gives LayerLoom's tensors, split for split."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_exported_data", project / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    settings = json.loads((project / "config.json").read_text())
    splits = module.load_splits(settings, project)
    for name in ("train", "val", "test"):
        x, y = splits[name]
        want_x, want_y = ds.split(name)
        assert torch.equal(torch.from_numpy(np.ascontiguousarray(x)), want_x), name
        assert torch.equal(torch.from_numpy(np.ascontiguousarray(y)), want_y), name


@pytest.mark.parametrize("dtype, options, design, shape", [
    ("uint8", {}, "cnn", (1, 8, 8)),
    ("float32", {"channel_axis": "add"}, "cnn", (1, 8, 8)),
    ("float32", {}, "cnn", (1, 8, 8)),  # auto, decided by the CNN's Input [1, 8, 8]
    ("uint8", {}, "rows", (8, 8)),
])
def test_the_projects_data_py_reads_the_file_as_layerloom(tmp_path, dtype, options, design,
                                                          shape):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 8, 8)).astype(dtype)
    if dtype == "float32":
        x /= 255
    np.savez(tmp_path / "gray.npz", x=x, y=np.arange(40) % 2)
    graph = small_cnn() if design == "cnn" else rows_design()
    source = {"source": str(tmp_path / "gray.npz"), "options": options}
    result = export_project(graph, source, tmp_path / "proj", CONFIG)
    assert result.data == "npz" and result.notes == [], result.notes
    ds = load_from_spec(source, graph)
    assert ds.input_shape == shape
    splits_equal(result.path, ds)
