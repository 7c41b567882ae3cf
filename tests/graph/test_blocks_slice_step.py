"""The Slice block's ``step``: every step-th element of one dimension from start (YOLOv5's
``x[..., ::2, ::2]``, one dimension at a time), torch's values at the designed size and at
another, a validation error naming the node and the param, readable code, and TorchScript and
ONNX files that give the same outputs. A design without ``step`` slices as before."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import Slice


def _graph(params, shape=(3, 8, 7)) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "sliced",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "slice", "type": "Slice", "params": params},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "slice"},
                      {"source": "slice", "target": "y"}]}


def _shape(params, shape=(3, 8, 7)):
    summary = summarize(_graph(params, shape))
    return list(next(n for n in summary.nodes if n.id == "slice").output_shape)


@pytest.mark.parametrize(("params", "expected"), [
    ({"dim": 1, "step": 2}, [3, 4, 7]),
    ({"dim": 1, "start": 1, "step": 2}, [3, 4, 7]),
    ({"dim": -1, "step": 2}, [3, 8, 4]),
    ({"dim": -1, "start": 1, "step": 2}, [3, 8, 3]),
    ({"dim": 2, "start": 1, "end": 6, "step": 3}, [3, 8, 2]),
    ({"dim": 1, "start": -3, "step": 2}, [3, 8 - 6, 7]),
    ({"dim": 0, "start": 1, "end": 2}, [1, 8, 7]),  # no step: as before
])
def test_output_shapes(params, expected):
    assert _shape(params) == expected


@pytest.mark.parametrize(("dim", "start", "end", "step"), [
    (1, 0, None, 2), (1, 1, None, 2), (3, 1, None, 2), (3, -5, -1, 3), (2, 0, 5, 1)])
def test_module_equals_indexing(dim, start, end, step):
    x = torch.randn(2, 3, 8, 7)
    index = [slice(None)] * 4
    index[dim] = slice(start, end, step)
    expected = x[tuple(index)]
    torch.testing.assert_close(Slice(dim, start, end, step)(x), expected, rtol=0, atol=0)
    scripted = torch.jit.script(Slice(dim, start, end, step))
    torch.testing.assert_close(scripted(x), expected, rtol=0, atol=0)


def test_the_step_holds_at_another_size():
    """Every other row of an 8-row map is rows 0, 2, 4, 6; of a 12-row one rows 0 … 10."""
    graph = _graph({"dim": 1, "start": 1, "step": 2})
    graph["nodes"][0]["params"]["shape"] = [3, 12, 10]
    model = compile_graph(graph).eval()
    x = torch.randn(2, 3, 12, 10)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x[:, :, 1::2], rtol=0, atol=0)


@pytest.mark.parametrize(("params", "message"), [
    ({"dim": 1, "step": 0}, "slice.step: step must be at least 1, got 0"),
    ({"dim": 1, "step": -1}, "slice.step: step must be at least 1, got -1"),
    ({"dim": 1, "start": 8, "step": 2}, "slice.start: start 8 keeps nothing of dimension 1 of "
                                        "[3, 8, 7] (size 8): as Python reads it, from element 8 "
                                        "to 8"),
])
def test_errors_name_the_param(params, message):
    report = validate(_graph(params))
    assert [str(p) for p in report.errors] == [message]
    assert [(p.node, p.param) for p in report.errors] == [("slice", message.split(".")[1]
                                                          .split(":")[0])]


def test_generated_code_is_readable_and_runs():
    code = generate_code(_graph({"dim": -1, "start": 1, "step": 2}))
    assert "self.slice_ = Slice(3, 1, step=2)" in code
    assert "slice_ = self.slice_(x)  # (B, 3, 8, 3)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    x = torch.randn(2, 3, 8, 7)
    with torch.no_grad():
        torch.testing.assert_close(namespace["Sliced"]()(x), x[..., 1::2], rtol=0, atol=0)


def test_a_slice_without_a_step_writes_none():
    assert "self.slice_ = Slice(1, 1, end=2)" in generate_code(_graph({"dim": 0, "start": 1,
                                                                    "end": 2}))


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("params", [{"dim": 1, "step": 2}, {"dim": -1, "start": 1, "step": 2},
                                    {"dim": 2, "start": -5, "end": -1, "step": 3}])
def test_exports(fmt, params, tmp_path):
    result = export_model(_graph(params), fmt, tmp_path / f"sliced.{fmt}")
    assert result.max_abs_diff < 1e-5


@pytest.mark.parametrize(("start", "end"), [(-5, 2), (-5, None), (-10, -1), (0, 10), (-2, 50),
                                            (1, -1)])
def test_bounds_past_the_dimension_are_clamped_as_python_clamps_them(start, end):
    """x[:, -5:2] on a dimension of 3 keeps 2 elements in Python and in torch: the block keeps
    the same (it refused a start before the dimension while it clamped an end past it)."""
    params = {"dim": 0, "start": start, "end": end}
    x = torch.randn(2, 3, 8, 7)
    assert _shape(params) == list(x[:, start:end].shape[1:])
    model = compile_graph(_graph(params)).eval()
    assert torch.equal(model(x), x[:, start:end])


@pytest.mark.parametrize(("start", "end", "message"), [
    (3, None, "slice.start: start 3 keeps nothing of dimension 0 of [3, 8, 7] (size 3): as "
              "Python reads it, from element 3 to 3"),
    (2, 1, "slice.end: start 2 and end 1 keep nothing of dimension 0 of [3, 8, 7] (size 3): as "
           "Python reads them, from element 2 to 1"),
    (-10, -5, "slice.end: start -10 and end -5 keep nothing of dimension 0 of [3, 8, 7] (size "
              "3): as Python reads them, from element 0 to 0"),
])
def test_bounds_that_keep_nothing_are_refused_with_what_python_would_keep(start, end, message):
    report = validate(_graph({"dim": 0, "start": start, "end": end}))
    assert [str(e) for e in report.errors] == [message]
