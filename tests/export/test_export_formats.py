"""Every format for every template: written, loaded back, compared with the model."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from layerloom.graph import compile_graph, load_graph
from layerloom.graph.export import ExportError, export_model
from layerloom.graph.templates import load_template, template_names

SUFFIX = {"json": ".json", "python": ".py", "torchscript": ".pt", "onnx": ".onnx",
          "safetensors": ".safetensors"}
FORMATS = tuple(SUFFIX)
BIG = ("resnet18", "efficientnet-b0")  # a few seconds per format: slow tests, and the benchmark
SMALL = [name for name in template_names() if name not in BIG]


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".layerloom-export-")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("template", SMALL)
def test_export_every_small_template(template, fmt, tmp_path):
    path = tmp_path / f"{template}{SUFFIX[fmt]}"
    result = export_model(load_template(template), fmt, path)
    assert result.path == path and path.exists()
    assert result.bytes == sum(f.stat().st_size for f in result.files) > 0
    assert result.max_abs_diff < 1e-4
    assert _leftovers(tmp_path) == []
    if fmt == "python":
        assert [f.name for f in result.files] == [path.name, f"{template}.safetensors"]
    if fmt == "torchscript":
        assert result.notes["method"] in ("script", "trace")


@pytest.mark.slow
@pytest.mark.parametrize("template", BIG)
def test_export_big_templates_to_onnx(template, tmp_path):
    """The other formats of the big ones run in benchmarks/export_bench.py."""
    result = export_model(load_template(template), "onnx", tmp_path / "m.onnx")
    assert result.max_abs_diff < 1e-4


def test_safetensors_load_strictly_into_the_compiled_graph(tmp_path):
    graph = load_template("resnet-mini")
    torch.manual_seed(3)
    trained = compile_graph(graph).state_dict()
    trained = {k: v + 0.01 if v.is_floating_point() else v for k, v in trained.items()}
    export_model(graph, "safetensors", tmp_path / "w.safetensors", trained)
    model = compile_graph(graph)
    model.load_state_dict(load_file(str(tmp_path / "w.safetensors")), strict=True)
    for key, value in trained.items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_fresh_weights_follow_the_seed(tmp_path):
    graph = load_template("seed-cnn")
    a = export_model(graph, "safetensors", tmp_path / "a.safetensors", seed=1)
    b = export_model(graph, "safetensors", tmp_path / "b.safetensors", seed=1)
    c = export_model(graph, "safetensors", tmp_path / "c.safetensors", seed=2)
    a, b, c = (load_file(str(r.path))["conv1.weight"] for r in (a, b, c))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_json_export_carries_the_variables_it_was_exported_with(tmp_path):
    result = export_model(load_template("seed-cnn"), "json", tmp_path / "g.json",
                          variables={"width": 0.5})
    graph = load_graph(result.path)
    assert graph.variables["width"] == 0.5
    assert compile_graph(graph).conv1.out_channels == 16


def test_checked_on_the_given_sample_inputs(tmp_path):
    x = torch.rand(5, 1, 28, 28)
    result = export_model(load_template("seed-cnn"), "onnx", tmp_path / "m.onnx",
                          sample_inputs=x)
    assert result.max_abs_diff < 1e-4
    with pytest.raises(ExportError, match=r"sample input for image has shape \[5, 28, 28\]"):
        export_model(load_template("seed-cnn"), "onnx", tmp_path / "m2.onnx",
                     sample_inputs=torch.rand(5, 28, 28))


def test_unknown_format_and_unfitting_weights_are_refused(tmp_path):
    graph = load_template("seed-cnn")
    with pytest.raises(ExportError, match="tflite export failed: unknown format; choose one of"):
        export_model(graph, "tflite", tmp_path / "m.tflite")
    with pytest.raises(ExportError, match="weights export failed: the weights do not fit the "
                                          "graph: missing conv1.weight, conv1.bias, conv2.weight, "
                                          "conv2.bias, fc.bias"):
        export_model(graph, "onnx", tmp_path / "m.onnx", {"fc.weight": torch.zeros(10, 1600)})
    assert list(tmp_path.iterdir()) == []


def test_invalid_graph_is_refused_with_its_problem(tmp_path, chain):
    graph = chain(("x", "Input", {"shape": [4]}), ("conv", "Conv2d"), ("y", "Output"))
    with pytest.raises(ExportError, match=r"onnx export failed at conv: the graph is "
                                          r"not valid: conv: Conv2d needs a \[C, H, W\] input"):
        export_model(graph, "onnx", tmp_path / "m.onnx")
