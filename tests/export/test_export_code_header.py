"""The Python export's header says what the design takes and gives, as it is, and the data the
weights were trained on where a run says so; its file can be imported as a module."""

from __future__ import annotations

import importlib
import sys

import pytest
import torch
from torch import nn

from layerloom.graph import dumps_graph, generate_code, load_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.import_torch import import_torch
from layerloom.graph.templates import load_template


def header(code: str) -> list[str]:
    return code[:code.index("\nimport torch")].strip().splitlines()


@pytest.mark.parametrize("template, line", [
    ("seed-cnn", "# Input image: float32 [batch, 1, 28, 28], 1-channel 28×28 images"),
    ("resnet-mini", "# Input image: float32 [batch, 1, 28, 28], 1-channel 28×28 images"),
    ("resnet18", "# Input image: float32 [batch, 3, 224, 224], 3-channel (RGB) 224×224 images"),
    ("cnn1d-sequence", "# Input signal: float32 [batch, 1, 128], sequences of 128 steps with 1 "
                       "channel"),
    ("mlp-tabular", "# Input features: float32 [batch, 4], 4 features per sample"),
    ("lstm-text", "# Input tokens: int64 [batch, 32], 32 token ids per sample"),
    ("transformer-text", "# Input tokens: int64 [batch, 32], 32 token ids per sample"),
])
def test_each_templates_header_names_its_own_input(template, line):
    lines = header(generate_code(load_template(template)))
    assert line in lines
    assert lines[lines.index(line) + 1].startswith("# Output ")
    if template not in ("seed-cnn", "resnet-mini"):  # only those were made for 28×28 digits
        assert "28×28" not in "\n".join(lines)


def test_the_templates_own_description_stays_while_it_is_true():
    lines = header(generate_code(load_template("seed-cnn")))
    assert lines[5].startswith("# Small CNN for 28×28 digits")
    assert header(generate_code(load_template("efficientnet-b0")))[5].startswith(
        "# EfficientNet-B0 with compound scaling: Tan & Le's 2019 network")  # 3×3 is a kernel


def _seed_cnn_for(shape: list[int]):
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = shape
    return graph


def test_seed_cnn_fitted_to_colour_images_does_not_claim_28x28_digits(tmp_path):
    result = export_model(_seed_cnn_for([3, 32, 32]), "python", tmp_path / "seed_cnn.py")
    text = result.files[0].read_text(encoding="utf-8")
    lines = header(text)
    assert "# Input image: float32 [batch, 3, 32, 32], 3-channel (RGB) 32×32 images" in lines
    assert "28×28" not in "\n".join(lines) and "digits" not in "\n".join(lines)
    assert "# (The design's description is left out: it was written for inputs of another " \
           "size.)" in lines
    assert "    # image: (B, 3, 32, 32)" in text


def test_a_runs_export_names_the_data_it_trained_on(tmp_path):
    graph = _seed_cnn_for([1, 8, 8])
    graph.node("pool2").params.update(kernel_size=1, stride=1)  # 8×8 would shrink to nothing
    run = RunInfo(dataset={"name": "digits", "source": "digits"}, run_id=7)
    result = export_model(graph, "python", tmp_path / "seed_cnn_run7.py", run=run)
    lines = header(result.files[0].read_text(encoding="utf-8"))
    assert lines[3:6] == ["# Input image: float32 [batch, 1, 8, 8], 1-channel 8×8 images",
                          "# Output probs: float32 [batch, 10]", "# Data: digits"]
    assert "28×28" not in "\n".join(lines)


def test_trained_on_other_data_of_the_same_size_leaves_the_description_out(tmp_path):
    run = RunInfo(dataset={"name": "fashion.npz"})
    result = export_model(load_template("seed-cnn"), "python", tmp_path / "m.py", run=run)
    lines = header(result.files[0].read_text(encoding="utf-8"))
    assert "# Data: fashion.npz" in lines
    assert not any("digits" in line for line in lines)
    assert "# (The design's description is left out: it was written for mnist-5k, not the " \
           "data above.)" in lines
    same = export_model(load_template("seed-cnn"), "python", tmp_path / "n.py",
                        run=RunInfo(dataset={"name": "mnist-5k"}))
    assert "# Small CNN for 28×28 digits" in same.files[0].read_text(encoding="utf-8")


class _Colour(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


def test_an_imported_designs_header_names_the_shape_it_was_imported_with(tmp_path):
    graph, _ = import_torch(_Colour(), (3, 40, 40))
    lines = header(generate_code(graph))
    assert any(line.startswith("# Input ") and line.endswith(
        "float32 [batch, 3, 40, 40], 3-channel (RGB) 40×40 images") for line in lines)
    assert any(line.startswith("# Output ") and line.endswith("float32 [batch, 5]")
               for line in lines)
    assert any(line.startswith("# Imported from ") for line in lines)


def test_the_python_export_is_named_as_a_module_it_can_be_imported_by(tmp_path, monkeypatch,
                                                                       capsys):
    from layerloom.cli import main

    graph = load_graph(load_template("seed-cnn").to_dict())
    (tmp_path / "seed.json").write_text(dumps_graph(graph), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "seed.json", "-f", "python"]) == 0  # no -o: named after the graph
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.json", "seed_cnn.py",
                                                          "seed_cnn.safetensors"]
    assert main(["export", "seed.json", "-f", "onnx"]) == 0  # other files keep the slug
    assert (tmp_path / "seed-cnn.onnx").exists()
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("seed_cnn")
    try:
        assert module.SeedCnn()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    finally:
        sys.modules.pop("seed_cnn", None)
