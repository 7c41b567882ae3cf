"""Upsample's align_corners: the corner pixels of input and output line up in the linear
modes (U-Net's ``nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)``), torch's
values, readable code and exports; set with 'nearest' it is a validation error naming the
param. Left out, it is false, as before."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model


def _graph(params, shape=(3, 5, 6)) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "up",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "up", "type": "Upsample", "params": params},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "up"}, {"source": "up", "target": "y"}]}


@pytest.mark.parametrize(("mode", "shape", "scale"), [
    ("bilinear", (3, 5, 6), 2), ("bilinear", (2, 4, 4), [2, 3]), ("linear", (2, 7), 3),
    ("bicubic", (2, 4, 5), 2), ("trilinear", (1, 3, 4, 5), 2)])
@pytest.mark.parametrize("align", [True, False])
def test_values_are_torch_interpolate(mode, shape, scale, align):
    params = {"scale_factor": scale, "mode": mode, "align_corners": align}
    model = compile_graph(_graph(params, shape)).eval()
    x = torch.randn(2, *shape)
    factor = tuple(scale) if isinstance(scale, list) else scale
    expected = F.interpolate(x, scale_factor=factor, mode=mode, align_corners=align)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


def test_corners_line_up():
    """With align_corners the output's corners are the input's corner pixels."""
    model = compile_graph(_graph({"mode": "bilinear", "align_corners": True})).eval()
    x = torch.randn(1, 3, 5, 6)
    with torch.no_grad():
        y = model(x)
    torch.testing.assert_close(y[..., [0, -1]][..., [0, -1], :], x[..., [0, -1]][..., [0, -1], :])
    assert list(summarize(_graph({"mode": "bilinear", "align_corners": True})).nodes[1]
                .output_shape) == [3, 10, 12]


def test_with_nearest_it_names_the_param():
    report = validate(_graph({"align_corners": True}))
    assert [str(p) for p in report.errors] == [
        "up.align_corners: align_corners applies to the linear, bilinear, bicubic and "
        "trilinear modes only, not 'nearest' (set it to false, or choose one of those modes)"]
    assert validate(_graph({"align_corners": False})).ok


def test_generated_code_writes_it():
    code = generate_code(_graph({"mode": "bilinear", "align_corners": True}))
    assert "nn.Upsample(scale_factor=2.0, mode='bilinear', align_corners=True)" in code
    assert "align_corners=False" in generate_code(_graph({"mode": "bilinear"}))


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    graph = _graph({"mode": "bilinear", "align_corners": True})
    result = export_model(graph, fmt, tmp_path / f"up.{fmt}")
    assert result.max_abs_diff < 1e-5
