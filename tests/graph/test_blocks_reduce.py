"""The Reduce block: the mean, sum, maximum or minimum over one or more dimensions of any
input, torch's values, a validation error naming the node and the param, no params, readable
code, and TorchScript and ONNX files that give the same outputs."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import Reduce


def _graph(params, shape=(6, 5, 4)) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "reduced",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "reduce", "type": "Reduce", "params": params},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "reduce"},
                      {"source": "reduce", "target": "y"}]}


def _shape(params, shape=(6, 5, 4)):
    summary = summarize(_graph(params, shape))
    return list(next(n for n in summary.nodes if n.id == "reduce").output_shape)


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [6, 5]),
    ({"op": "max", "dim": 0}, [5, 4]),
    ({"op": "sum", "dim": 1}, [6, 4]),
    ({"op": "mean", "dim": 0, "keepdim": True}, [1, 5, 4]),
    ({"op": "min", "dim": [1, 2]}, [6]),
    ({"op": "max", "dim": [-1, -2], "keepdim": True}, [6, 1, 1]),
])
def test_output_shapes(params, expected):
    assert _shape(params) == expected


@pytest.mark.parametrize("op", ["mean", "sum", "max", "min"])
@pytest.mark.parametrize(("dims", "keepdim"), [([1], False), ([2], True), ([1, 3], False),
                                               ([3], False), ([1, 2, 3], True)])
def test_module_equals_torch(op, dims, keepdim):
    x = torch.randn(3, 6, 5, 4)
    expected = {"mean": torch.mean, "sum": torch.sum, "max": torch.amax,
                "min": torch.amin}[op](x, dim=dims, keepdim=keepdim)
    torch.testing.assert_close(Reduce(op, dims, keepdim)(x), expected, rtol=0, atol=0)
    scripted = torch.jit.script(Reduce(op, dims, keepdim))
    torch.testing.assert_close(scripted(x), expected, rtol=0, atol=0)


def test_max_over_points_as_pointnet_and_its_values():
    """Over the last dimension of [C, N], as ``x.max(dim=2)[0]`` of a [B, C, N] map."""
    model = compile_graph(_graph({"op": "max", "dim": -1}, (16, 9))).eval()
    x = torch.randn(4, 16, 9)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x.max(dim=2)[0], rtol=0, atol=0)


def test_no_params_or_macs():
    node = next(n for n in summarize(_graph({"op": "sum", "dim": 0})).nodes
                if n.id == "reduce")
    assert (node.params, node.macs) == (0, 0)


@pytest.mark.parametrize(("params", "message"), [
    ({"dim": 3}, "reduce.dim: dim 3 is out of range for a 3-D input (use 0 to 2, or -1 for "
                 "the last; the batch is not counted)"),
    ({"dim": [0, -3]}, "reduce.dim: dim [0, -3] names a dimension twice (for a 3-D input)"),
    ({"dim": [0, 1, 2]}, "reduce.dim: it reduces every dimension of [6, 5, 4], which leaves "
                         "the batch alone; set keepdim to true (output [1, 1, 1])"),
    ({"op": "median"}, "reduce.op: op must be one of 'mean', 'sum', 'max', 'min', got "
                       "'median'"),
])
def test_errors_name_the_param(params, message):
    report = validate(_graph(params))
    assert [str(p) for p in report.errors] == [message]
    assert [(p.node, p.param) for p in report.errors] == [("reduce", message.split(".")[1]
                                                          .split(":")[0])]


def test_every_dimension_kept_is_allowed_and_a_vector_reduced_whole_is_not():
    assert _shape({"dim": [0, 1, 2], "keepdim": True}) == [1, 1, 1]
    report = validate(_graph({"op": "sum", "dim": 0}, (7,)))
    assert [p.param for p in report.errors] == ["dim"]


def test_generated_code_is_readable_and_runs():
    code = generate_code(_graph({"op": "max", "dim": 0, "keepdim": True}))
    assert "self.reduce = Reduce('max', [1], keepdim=True)" in code
    assert "reduce = self.reduce(x)  # (B, 1, 5, 4)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    x = torch.randn(2, 6, 5, 4)
    with torch.no_grad():
        torch.testing.assert_close(namespace["Reduced"]()(x), x.amax(1, keepdim=True),
                                   rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("params", [{"op": "max", "dim": -1}, {"op": "mean", "dim": 0,
                                                               "keepdim": True},
                                    {"op": "sum", "dim": [0, 2]}, {"op": "min", "dim": 1}])
def test_exports(fmt, params, tmp_path):
    result = export_model(_graph(params), fmt, tmp_path / f"reduced.{fmt}")
    assert result.max_abs_diff < 1e-5
