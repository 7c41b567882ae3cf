"""Exports that cannot work, or that would be wrong, raise ExportError and leave nothing."""

from __future__ import annotations

import dataclasses
import json
import zipfile

import numpy as np
import pytest
from torch import nn

from layerloom.graph import BlockSpec, registry
from layerloom.graph.export import ExportError, export_model
from layerloom.graph.export.formats import FORMATS


@pytest.fixture
def uneven_pool(chain):
    """10×10 pooled to 3×3: PyTorch's exporter refuses output sizes that do not divide the
    input; LayerLoom writes the fixed windows out instead."""
    return chain(("x", "Input", {"shape": [2, 10, 10]}), ("conv", "Conv2d", {"out_channels": 4}),
                 ("pool", "AdaptiveAvgPool2d", {"output_size": 3}), ("flat", "Flatten"),
                 ("y", "Output"), name="uneven")


def test_onnx_names_the_block_it_cannot_express(log_gamma_block, tmp_path):
    with pytest.raises(ExportError, match=r"^onnx export failed at gamma \(LogGamma\): "
                                          r"Exporting the operator 'aten::lgamma' to ONNX opset "
                                          r"version 17 is not supported$") as caught:
        export_model(log_gamma_block, "onnx", tmp_path / "m.onnx")
    assert (caught.value.format, caught.value.node, caught.value.block) == (
        "onnx", "gamma", "LogGamma")
    assert list(tmp_path.iterdir()) == []


def test_onnx_writes_adaptive_pooling_of_any_output_size(uneven_pool, tmp_path):
    import onnxruntime as ort
    import torch

    from layerloom.graph import compile_graph

    result = export_model(uneven_pool, "onnx", tmp_path / "m.onnx")
    assert result.max_abs_diff < 1e-5
    torch.manual_seed(0)  # export_model's weights: seed 0
    model = compile_graph(uneven_pool).eval()
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    x = torch.randn(5, 2, 10, 10)
    with torch.no_grad():
        np.testing.assert_allclose(session.run(None, {"x": x.numpy()})[0], model(x).numpy(),
                                   atol=1e-5)


def test_the_other_formats_still_express_it(log_gamma_block, tmp_path):
    assert export_model(log_gamma_block, "torchscript", tmp_path / "m.pt").max_abs_diff < 1e-5


def test_a_failed_export_keeps_the_previous_file(log_gamma_block, tmp_path):
    old = tmp_path / "m.onnx"
    old.write_bytes(b"the previous export")
    with pytest.raises(ExportError):
        export_model(log_gamma_block, "onnx", old)
    assert old.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_a_file_that_computes_something_else_is_refused(monkeypatch, tmp_path, chain):
    onnx_format = FORMATS["onnx"]

    def load_wrong(ref, path):
        run = onnx_format.load(ref, path)
        return lambda inputs: [np.asarray(o) + 1e-2 for o in run(inputs)]

    monkeypatch.setitem(FORMATS, "onnx", dataclasses.replace(onnx_format, load=load_wrong))
    graph = chain(("x", "Input", {"shape": [5]}), ("fc", "Linear", {"out_features": 3}),
                  ("y", "Output"))
    with pytest.raises(ExportError, match=r"^onnx export failed: output 0 differs from the "
                                          r"model's by up to 0\.01"):
        export_model(graph, "onnx", tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_does_not_load_is_refused(monkeypatch, tmp_path, chain):
    def broken(ref, path):
        raise RuntimeError("PytorchStreamReader failed reading zip archive")

    monkeypatch.setitem(FORMATS, "torchscript",
                        dataclasses.replace(FORMATS["torchscript"], load=broken))
    graph = chain(("x", "Input", {"shape": [5]}), ("fc", "Linear"), ("y", "Output"))
    with pytest.raises(ExportError, match="^torchscript export failed: RuntimeError: "
                                          "PytorchStreamReader failed"):
        export_model(graph, "torchscript", tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


def test_torchscript_traces_what_it_cannot_script(tmp_path, chain):
    # nn.MultiheadAttention without biases does not script (its in_proj_bias is None)
    graph = chain(("x", "Input", {"shape": [6, 8]}),
                  ("attn", "MultiheadAttention", {"num_heads": 2, "bias": False}),
                  ("pool", "SequencePool"), ("y", "Output"))
    result = export_model(graph, "torchscript", tmp_path / "m.pt")
    assert result.notes["method"] == "trace"
    assert result.notes["script_error"]
    assert result.max_abs_diff < 1e-5  # checked on a batch of another size than traced


def test_bundle_leaves_out_what_onnx_cannot_express_and_says_why(log_gamma_block, tmp_path):
    result = export_model(log_gamma_block, "bundle", tmp_path / "b.zip")
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        card = archive.read("README.md").decode()
    assert "model.onnx" not in names and "model.torchscript.pt" in names
    assert "gamma (LogGamma)" in manifest["skipped"]["model.onnx"]
    assert ("| model.onnx | not included | bundle/onnx export failed at gamma (LogGamma): "
            "Exporting the operator 'aten::lgamma' to ONNX opset version 17 is not supported |"
            ) in card
    assert result.notes["skipped"] == manifest["skipped"]


def test_bundle_fails_when_a_required_part_fails(monkeypatch, tmp_path, chain):
    def broken(ref, path):
        raise ExportError("python", "the generated code does not run: SyntaxError")

    monkeypatch.setitem(FORMATS, "python", dataclasses.replace(FORMATS["python"], write=broken))
    graph = chain(("x", "Input", {"shape": [5]}), ("fc", "Linear"), ("y", "Output"))
    with pytest.raises(ExportError, match="^bundle/python export failed: the generated code"):
        export_model(graph, "bundle", tmp_path / "b.zip")
    assert list(tmp_path.iterdir()) == []


class _BatchBaked(nn.Module):
    """Adds the batch size: a trace (ONNX) bakes the number in, a script does not."""

    def forward(self, x):
        return x + float(x.shape[0])


def test_a_mismatch_names_the_block_that_computes_otherwise(monkeypatch, tmp_path, chain):
    spec = BlockSpec("BatchBaked", "Test", "Adds the batch size.", infer=lambda p, ins: ins[0],
                     build=lambda p, ins: _BatchBaked())
    monkeypatch.setitem(registry._REGISTRY, "BatchBaked", spec)
    graph = chain(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 3}),
                  ("shift", "BatchBaked"), ("y", "Output"))
    with pytest.raises(ExportError, match=r"^onnx export failed at shift \(BatchBaked\): output 0 "
                                          r"differs from the model's by up to 1 .*the block alone "
                                          r"differs too: output 0 differs"):
        export_model(graph, "onnx", tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []
    assert export_model(graph, "torchscript", tmp_path / "m.pt").notes["method"] == "script"


def test_an_export_error_without_a_block_type_names_only_the_node():
    from layerloom.graph.export import ExportError

    assert str(ExportError("onnx", "bad", node="c1")) == "onnx export failed at c1: bad"
    assert str(ExportError("onnx", "bad", node="c1", block="Conv2d")) == \
        "onnx export failed at c1 (Conv2d): bad"
    assert str(ExportError("onnx", "bad")) == "onnx export failed: bad"
