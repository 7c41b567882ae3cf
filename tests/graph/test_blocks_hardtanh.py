"""The Hardtanh block: every value clamped to [min_val, max_val] on any shape, no params or
MACs, a validation error naming the node and max_val when the bounds are not in order, readable
code, and TorchScript and ONNX files that give the same outputs."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model


def _graph(params=None, shape=(3, 4, 4)) -> dict:
    node = {"id": "clip", "type": "Hardtanh"}
    if params is not None:
        node["params"] = params
    return {"format": "layerloom-graph", "version": 1, "name": "clipped",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}}, node,
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "clip"}, {"source": "clip", "target": "y"}]}


@pytest.mark.parametrize("shape", [(3, 4, 4), (7,), (2, 5)])
def test_shape_is_kept_with_no_params_or_macs(shape):
    summary = summarize(_graph(shape=shape))
    node = next(n for n in summary.nodes if n.id == "clip")
    assert list(node.output_shape) == list(shape)
    assert (node.params, node.macs, summary.params) == (0, 0, 0)


@pytest.mark.parametrize("params, low, high", [(None, -1.0, 1.0),
                                               ({"min_val": -0.5, "max_val": 2.0}, -0.5, 2.0),
                                               ({"min_val": 1e-6, "max_val": 3}, 1e-6, 3.0)])
def test_compiled_block_clamps_to_its_bounds(params, low, high):
    model = compile_graph(_graph(params)).eval()
    x = torch.randn(2, 3, 4, 4) * 4
    with torch.no_grad():
        y = model(x)
    torch.testing.assert_close(y, x.clamp(low, high), rtol=0, atol=0)
    assert y.min().item() == pytest.approx(low) and y.max().item() == pytest.approx(high)


@pytest.mark.parametrize("low, high", [(1.0, 1.0), (2.0, -2.0)])
def test_bounds_out_of_order_are_refused_naming_node_and_param(low, high):
    report = validate(_graph({"min_val": low, "max_val": high}))
    assert [(p.node, p.param) for p in report.errors] == [("clip", "max_val")]
    assert report.errors[0].message == (f"max_val {high} must be greater than min_val {low}")


def test_a_bound_that_is_not_a_number_is_refused():
    report = validate(_graph({"min_val": "low"}))
    assert [(p.node, p.param) for p in report.errors] == [("clip", "min_val")]


def test_generated_code_is_readable_and_runs():
    code = generate_code(_graph({"min_val": -2.0, "max_val": 2.0}))
    assert "self.clip = nn.Hardtanh(min_val=-2.0, max_val=2.0)" in code
    assert "clip = self.clip(x)  # (B, 3, 4, 4)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    written = namespace["Clipped"]().eval()
    x = torch.randn(2, 3, 4, 4) * 4
    with torch.no_grad():
        torch.testing.assert_close(written(x), x.clamp(-2, 2), rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    result = export_model(_graph({"min_val": -0.5, "max_val": 2.0}), fmt,
                          tmp_path / f"clipped.{fmt}")
    assert result.max_abs_diff < 1e-6


def test_onnx_file_is_one_clip_that_imports_back_as_the_block(tmp_path):
    import onnx

    from layerloom.graph.import_torch.onnx_in import import_onnx

    export_model(_graph({"min_val": -0.5, "max_val": 2.0}), "onnx", tmp_path / "clipped.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "clipped.onnx")).graph.node]
    assert [op for op in ops if op != "Constant"] == ["Clip"]  # the bounds are Constants
    graph, _, diff = import_onnx(tmp_path / "clipped.onnx")
    assert diff == 0.0
    assert [(n.type, n.params) for n in graph.nodes if n.type not in ("Input", "Output")] == [
        ("Hardtanh", {"min_val": -0.5, "max_val": 2.0})]
