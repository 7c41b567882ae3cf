"""Layers written from scratch beyond one product and its bias, as d2l writes them.

A recurrent cell's gate written out adds its bias to a sum of two products, ``torch.matmul(X,
self.W_xz) + torch.matmul(H, self.W_hz) + self.b_z``: it stopped at the bias ("it adds the
parameter 'b_z' [6] to a [6] input; only a positional table … maps"). A second bias added after
the first is refused saying so."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import import_torch


def _param(*shape):
    return nn.Parameter(torch.randn(*shape) * 0.3)


class GRUGate(nn.Module):
    """d2l's GRU from scratch, one step of its update gate, H from the input."""

    def __init__(self, num_inputs=8, num_hiddens=6):
        super().__init__()
        self.W_xz, self.W_hz, self.b_z = _param(num_inputs, num_hiddens), \
            _param(num_hiddens, num_hiddens), _param(num_hiddens)
        self.to_state = nn.Linear(num_inputs, num_hiddens)

    def forward(self, X):
        H = torch.tanh(self.to_state(X))
        return torch.sigmoid(torch.matmul(X, self.W_xz) + torch.matmul(H, self.W_hz) + self.b_z)


class ThreeProducts(nn.Module):
    """A highway of three inputs' products and one bias, the bias last."""

    def __init__(self):
        super().__init__()
        self.W, self.U, self.V, self.b = _param(4, 5), _param(5, 5), _param(5, 5), _param(5)
        self.h, self.z = nn.Linear(4, 5), nn.Linear(4, 5)

    def forward(self, x):
        return torch.tanh(x @ self.W + self.h(x) @ self.U + self.z(x) @ self.V + self.b)


class TwoBiases(nn.Module):
    def __init__(self):
        super().__init__()
        self.W, self.b, self.c = _param(4, 5), _param(5), _param(5)

    def forward(self, x):
        return x @ self.W + self.b + self.c


def _imported(model, shape):
    graph, weights = import_torch(model.eval(), shape)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    return graph


def test_a_gate_written_out_imports_its_bias_with_the_last_product():
    torch.manual_seed(0)
    graph = _imported(GRUGate(), (8,))
    assert [(n.type, n.params) for n in graph.nodes if n.type in ("Linear", "Add")] == [
        ("Linear", {"out_features": 6}), ("Linear", {"out_features": 6, "bias": False}),
        ("Linear", {"out_features": 6}), ("Add", {})]


def test_three_products_and_a_bias_import_as_three_linears_added():
    torch.manual_seed(1)
    graph = _imported(ThreeProducts(), (4,))
    linears = [n.params for n in graph.nodes if n.type == "Linear"]
    assert linears.count({"out_features": 5, "bias": False}) == 2
    assert sum(1 for n in graph.nodes if n.type == "Add") == 2


def test_a_second_bias_is_refused_saying_so_at_its_line():
    with pytest.raises(GraphError, match=r"test_import_scratch_sums\.py:\d+: .*it adds the "
                                         r"parameter 'c' \[5\] to a product that has a bias "
                                         r"already \('b'\): a second bias, which no block holds"):
        import_torch(TwoBiases().eval(), (4,))
