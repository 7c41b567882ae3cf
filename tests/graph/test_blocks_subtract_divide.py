"""The Subtract and Divide blocks: left − right and left / right on named ports, broadcasting as
Add does, torch's values, the ports' order kept (swapping the edges swaps the operands), an error
naming the node for shapes that do not broadcast, readable code, and TorchScript and ONNX files
that give the same outputs."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import Divide, Subtract

OPS = {"Subtract": torch.sub, "Divide": torch.div}


def _graph(block, left=(4, 5, 5), right=(4, 5, 5), swap=False) -> dict:
    ports = ("right", "left") if swap else ("left", "right")
    return {"format": "layerloom-graph", "version": 1, "name": "two ops",
            "nodes": [{"id": "a", "type": "Input", "params": {"shape": list(left)}},
                      {"id": "b", "type": "Input", "params": {"shape": list(right)}},
                      {"id": "op", "type": block},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "a", "target": "op", "port": ports[0]},
                      {"source": "b", "target": "op", "port": ports[1]},
                      {"source": "op", "target": "y"}]}


@pytest.mark.parametrize("block", OPS)
@pytest.mark.parametrize(("left", "right", "expected"), [
    ((4, 5, 5), (4, 5, 5), [4, 5, 5]), ((4, 5, 5), (4, 1, 1), [4, 5, 5]),
    ((1, 6), (3, 6), [3, 6]), ((7,), (7,), [7])])
def test_output_shapes_broadcast(block, left, right, expected):
    node = next(n for n in summarize(_graph(block, left, right)).nodes if n.id == "op")
    assert (list(node.output_shape), node.params) == (expected, 0)


@pytest.mark.parametrize("block", OPS)
@pytest.mark.parametrize("swap", [False, True])
def test_values_are_left_op_right(block, swap):
    model = compile_graph(_graph(block, (4, 5, 5), (4, 1, 1), swap=swap)).eval()
    a, b = torch.randn(2, 4, 5, 5), torch.rand(2, 4, 1, 1) + 0.5
    expected = OPS[block](b, a) if swap else OPS[block](a, b)  # b on the left port: b - a
    with torch.no_grad():
        torch.testing.assert_close(model(a, b), expected, rtol=0, atol=0)


@pytest.mark.parametrize(("module", "op"), [(Subtract, torch.sub), (Divide, torch.div)])
def test_module_scripts(module, op):
    a, b = torch.randn(3, 2, 4), torch.rand(3, 2, 1) + 0.5
    torch.testing.assert_close(torch.jit.script(module())(a, b), op(a, b), rtol=0, atol=0)


@pytest.mark.parametrize("block", OPS)
def test_shapes_that_do_not_broadcast_name_the_node(block):
    report = validate(_graph(block, (4, 5, 5), (3, 5, 5)))
    assert [p.node for p in report.errors] == ["op"]
    assert f"{block} of [4, 5, 5] and [3, 5, 5]: sizes must match (or be 1)" in \
        str(report.errors[0])
    report = validate(_graph(block, (4, 5, 5), (4, 5)))
    assert f"{block} needs inputs of the same rank, got [4, 5, 5] and [4, 5]" in \
        str(report.errors[0])


@pytest.mark.parametrize("block", OPS)
def test_a_port_name_other_than_left_or_right_is_an_error(block):
    graph = _graph(block)
    graph["edges"][1]["port"] = "other"
    report = validate(graph)
    assert report.errors and all(p.node == "op" for p in report.errors)
    assert "left" in str(report.errors[0]) and "right" in str(report.errors[0])


@pytest.mark.parametrize("block", OPS)
def test_generated_code_is_readable_and_runs(block):
    code = generate_code(_graph(block, (4, 5, 5), (4, 1, 1)))
    assert f"self.op = {block}()" in code
    assert "op = self.op(a, b)  # (B, 4, 5, 5)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    a, b = torch.randn(2, 4, 5, 5), torch.rand(2, 4, 1, 1) + 0.5
    with torch.no_grad():
        torch.testing.assert_close(namespace["TwoOps"]()(a, b), OPS[block](a, b), rtol=0,
                                   atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("block", OPS)
def test_exports(fmt, block, tmp_path):
    result = export_model(_graph(block, (4, 5, 5), (4, 5, 5)), fmt, tmp_path / f"two.{fmt}")
    assert result.max_abs_diff < 1e-5
