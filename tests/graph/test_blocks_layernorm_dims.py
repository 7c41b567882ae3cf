"""The LayerNorm block's ``dims``: the last ``dims`` dimensions normalised together, as
``nn.LayerNorm([C, H, W])`` does, with a scale and shift per element of them; a design without
``dims`` normalises the last dimension as before. Shapes, parameter counts, torch's values, an
error naming the node and the param, readable code, and TorchScript and ONNX files."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model


def _graph(params, shape=(4, 5, 6)) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "normed",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "ln", "type": "LayerNorm", "params": params},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "ln"}, {"source": "ln", "target": "y"}]}


@pytest.mark.parametrize(("params", "count"), [
    ({}, 2 * 6), ({"dims": 1}, 2 * 6), ({"dims": 2}, 2 * 5 * 6), ({"dims": 3}, 2 * 4 * 5 * 6),
    ({"dims": 3, "bias": False}, 4 * 5 * 6), ({"dims": 3, "elementwise_affine": False}, 0)])
def test_shape_kept_and_params_counted(params, count):
    node = next(n for n in summarize(_graph(params)).nodes if n.id == "ln")
    assert (list(node.output_shape), node.params) == ([4, 5, 6], count)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_values_equal_torch_layernorm(dims):
    torch.manual_seed(0)
    model = compile_graph(_graph({"dims": dims})).eval()
    reference = nn.LayerNorm([4, 5, 6][3 - dims:])
    with torch.no_grad():
        for p in reference.parameters():
            p.uniform_(-1, 1)
    model.load_state_dict({f"ln.{k}": v for k, v in reference.state_dict().items()},
                          strict=True)
    x = torch.randn(2, 4, 5, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=0, atol=0)


def test_more_dims_than_the_input_names_the_param():
    report = validate(_graph({"dims": 4}))
    assert [str(p) for p in report.errors] == [
        "ln.dims: dims 4 is more than the 3 dimensions of [4, 5, 6] (the batch is not counted)"]
    assert [(p.node, p.param) for p in report.errors] == [("ln", "dims")]
    assert [p.param for p in validate(_graph({"dims": 0})).errors] == ["dims"]


def test_generated_code_is_torchs_layernorm():
    code = generate_code(_graph({"dims": 3}))
    assert "self.ln = nn.LayerNorm((4, 5, 6))" in code
    assert "self.ln = nn.LayerNorm(6)" in generate_code(_graph({}))


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    result = export_model(_graph({"dims": 3}), fmt, tmp_path / f"normed.{fmt}")
    assert result.max_abs_diff < 1e-5
