"""Scalar arithmetic imports as Rescaling (x * scale + offset): ``x / 255``, ``x * 0.5 + 1``,
``1 - x``, ``-x``, ``(x - 0.5) / 0.25`` from PyTorch (a chain on one tensor is one block) and
from ONNX (Mul, Add, Sub, Div with a constant number, Neg: one block per node), with the
model's outputs."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


class Arith(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.fc(x))


# name: (the arithmetic, the Rescaling blocks (scale, offset) PyTorch's import gives)
CASES = {
    "divide_by_255": (lambda x: x / 255, [(1 / 255, 0.0)]),
    "affine": (lambda x: x * 0.5 + 1, [(0.5, 1.0)]),
    "one_minus": (lambda x: 1 - x, [(-1.0, 1.0)]),
    "negate": (lambda x: -x, [(-1.0, 0.0)]),
    "normalise": (lambda x: (x - 0.5) / 0.25, [(4.0, -2.0)]),
    "number_first": (lambda x: 2 * x + 3, [(2.0, 3.0)]),
    "methods": (lambda x: x.mul(3).add(1).sub(2).div(4), [(0.75, -0.25)]),
}


def _rescalings(graph):
    return [(n.params.get("scale", 1.0), n.params.get("offset", 0.0))
            for n in graph.nodes if n.type == "Rescaling"]


def _flat(pairs):
    return [float(v) for pair in pairs for v in pair]


@pytest.mark.parametrize("name", list(CASES))
def test_torch_scalar_arithmetic_imports_as_one_rescaling(name):
    fn, expected = CASES[name]
    torch.manual_seed(0)
    model = Arith(fn).eval()
    graph, weights = import_torch(model, (6,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Rescaling", "Output"]
    assert _flat(_rescalings(graph)) == pytest.approx(_flat(expected), rel=1e-12)
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [(6,)], weights=weights) <= 1e-6
    imported = compile_graph(graph).eval()
    imported.load_state_dict(state, strict=True)
    x = torch.randn(5, 6) * 10
    with torch.no_grad():
        torch.testing.assert_close(imported(x), model(x), atol=1e-6, rtol=1e-6)


def test_a_result_used_twice_is_not_merged():
    """``y = x * 2`` used by ``y + 1`` and returned too: two blocks, both outputs right."""
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)

        def forward(self, x):
            y = self.fc(x) * 2
            return y + 1, y

    model = Twice().eval()
    graph, weights = import_torch(model, (6,))
    assert _rescalings(graph) == [(2.0, 0.0), (1.0, 1.0)]
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [(6,)], weights=weights) <= 1e-6


def test_tensor_operands_keep_their_rules():
    class ByTensor(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)
            self.other = nn.Linear(6, 4)

        def forward(self, x):
            return self.fc(x) - self.other(x)

    graph, _ = import_torch(ByTensor().eval(), (6,))  # two tensors: Subtract, not Rescaling
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Linear", "Subtract", "Output"]

    class NumberOverTensor(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)

        def forward(self, x):
            return 1 / self.fc(x)

    with pytest.raises(GraphError, match=r"operator\.truediv .*: a division"):
        import_torch(NumberOverTensor().eval(), (6,))


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_exported_to_onnx_imports(name, tmp_path):
    fn, expected = CASES[name]
    torch.manual_seed(0)
    model = Arith(fn).eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 6),), str(path), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    graph, state, diff = import_onnx(path)
    assert diff <= 1e-6
    types = [n.type for n in graph.nodes]
    assert types[:2] == ["Input", "Linear"] and types[-1] == "Output"
    assert set(types[2:-1]) == {"Rescaling"}
    imported = compile_graph(graph).eval()
    imported.load_state_dict(state, strict=True)
    x = torch.randn(5, 6) * 10
    with torch.no_grad():
        torch.testing.assert_close(imported(x), model(x), atol=1e-6, rtol=1e-6)
