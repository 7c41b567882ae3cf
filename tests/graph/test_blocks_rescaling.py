"""The Rescaling block: x * scale + offset on any shape, no params or MACs, a validation
error naming the node and the param, readable code, and TorchScript and ONNX files (Mul, Add)
that give the same outputs."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import Rescaling


def _graph(scale=0.5, offset=1.0, shape=(3, 4, 4), variables=None) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "rescaled",
            "variables": variables or {},
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "rescale", "type": "Rescaling",
                       "params": {"scale": scale, "offset": offset}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "rescale"},
                      {"source": "rescale", "target": "y"}]}


@pytest.mark.parametrize("shape", [(3, 4, 4), (7,), (2, 5), (2, 3, 2, 2)])
def test_shape_is_kept_with_no_params_or_macs(shape):
    summary = summarize(_graph(shape=shape))
    node = next(n for n in summary.nodes if n.id == "rescale")
    assert list(node.output_shape) == list(shape)
    assert (node.params, node.macs) == (0, 0)
    assert summary.params == 0


@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), (0.5, 1.0), (-1.0, 1.0), (4.0, -2.0),
                                           (1.0, 0.0)])
def test_compiled_block_equals_x_times_scale_plus_offset(scale, offset):
    model = compile_graph(_graph(scale, offset)).eval()
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x * scale + offset, rtol=0, atol=0)
    assert list(model.state_dict()) == []


def test_module_repr_and_torchscript():
    module = Rescaling(2, -1)
    assert repr(module) == "Rescaling(scale=2.0, offset=-1.0)"
    scripted = torch.jit.script(module)
    x = torch.randn(3, 5)
    torch.testing.assert_close(scripted(x), x * 2 - 1, rtol=0, atol=0)


def test_a_scale_that_is_not_a_number_is_refused_naming_node_and_param():
    report = validate(_graph(scale="big"))
    assert not report.ok
    assert [(p.node, p.param) for p in report.errors] == [("rescale", "scale")]
    report = validate(_graph(offset=[1, 2]))
    assert [(p.node, p.param) for p in report.errors] == [("rescale", "offset")]


def test_scale_takes_an_expression():
    report = validate(_graph(scale="=1 / levels", variables={"levels": 255}))
    assert report.ok, [str(p) for p in report.errors]
    layer = report.resolution.top.nodes["rescale"].copies[0]
    assert layer.params["scale"] == pytest.approx(1 / 255)


def test_generated_code_is_readable_and_runs():
    code = generate_code(_graph(0.5, 1.0))
    assert "self.rescale = Rescaling(scale=0.5, offset=1.0)" in code
    assert "rescale = self.rescale(x)  # (B, 3, 4, 4)" in code
    assert "class Rescaling(nn.Module):" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    written = namespace["Rescaled"]().eval()
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(written(x), x * 0.5 + 1.0, rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    result = export_model(_graph(0.25, -3.0), fmt, tmp_path / f"rescaled.{fmt}")
    assert result.max_abs_diff < 1e-6


def test_onnx_file_is_mul_then_add(tmp_path):
    import onnx

    export_model(_graph(0.25, -3.0), "onnx", tmp_path / "rescaled.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "rescaled.onnx")).graph.node]
    assert "Mul" in ops and "Add" in ops and ops.index("Mul") < ops.index("Add")
