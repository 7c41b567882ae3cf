"""A linear layer written from scratch with its bias, as tutorials write it: d2l's
``torch.matmul(X, self.W1) + self.b1``, ``self.b + x @ self.w.T``. Each imports as one Linear
with a bias, holding W and b, learned (or frozen) as in the model, and computes the model's
outputs; before, the add stopped the import ("only a positional table added to a [L, D]
sequence as `x + table[:L]` maps to a block")."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import import_torch


class MLPScratch(nn.Module):
    """d2l's MLP from scratch (chapter 5.2), its parameters made by the model."""

    def __init__(self, num_inputs=12, num_outputs=3, num_hiddens=16, sigma=0.5):
        super().__init__()
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.randn(num_hiddens) * sigma)
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.randn(num_outputs) * sigma)

    def forward(self, X):
        X = X.reshape((-1, self.W1.shape[0]))
        H = torch.relu(torch.matmul(X, self.W1) + self.b1)
        return torch.matmul(H, self.W2) + self.b2


class BiasFirst(nn.Module):
    """``b + x @ w.T``: the weight kept ``[out, in]``, as nn.Linear keeps it, the bias first."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(5, 4))
        self.b = nn.Parameter(torch.randn(5))
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        return self.head(torch.tanh(self.b + x @ self.w.T))


class FixedAffine(nn.Module):
    """A fixed random projection with an offset (random Fourier features), both buffers."""

    def __init__(self):
        super().__init__()
        self.register_buffer("W", torch.randn(4, 8))
        self.register_buffer("b", torch.rand(8) * 6.28)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(torch.relu(x @ self.W + self.b))


def _imported(model, shape):
    graph, weights = import_torch(model.eval(), shape)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    return graph


def test_d2l_mlp_from_scratch_imports_as_two_linears_with_biases():
    torch.manual_seed(0)
    model = MLPScratch()
    graph = _imported(model, (3, 4))  # d2l's X.reshape((-1, num_inputs)): a Flatten
    assert [n.type for n in graph.nodes] == ["Input", "Flatten", "Linear", "ReLU", "Linear",
                                             "Output"]
    first, second = [n for n in graph.nodes if n.type == "Linear"]
    assert first.params == {"out_features": 16} and second.params == {"out_features": 3}
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())


def test_the_bias_added_first_to_a_product_by_a_transposed_weight():
    torch.manual_seed(1)
    graph = _imported(BiasFirst(), (4,))
    assert [(n.type, n.params) for n in graph.nodes if n.type == "Linear"] == [
        ("Linear", {"out_features": 5}), ("Linear", {"out_features": 2})]


def test_buffers_import_as_a_frozen_linear_with_its_offset():
    torch.manual_seed(2)
    with pytest.warns(UserWarning, match="frozen as in the model"):
        graph = _imported(FixedAffine(), (4,))
    [fixed] = [n for n in graph.nodes if n.type == "Linear" and n.params["out_features"] == 8]
    assert fixed.params == {"out_features": 8} and fixed.extra.get("trainable") is False


class Turned(nn.Module):
    def __init__(self, turn):
        super().__init__()
        self.w = nn.Parameter(torch.randn(5, 4))
        self.turn = turn

    def forward(self, x):
        return x @ self.turn(self.w)


@pytest.mark.parametrize("turn", [lambda w: w.T, lambda w: w.t(), lambda w: w.transpose(0, 1),
                                  lambda w: w.transpose(-1, -2)],
                         ids=["T", "t()", "transpose(0, 1)", "transpose(-1, -2)"])
def test_a_product_by_a_parameter_transposed_in_forward_is_a_linear_without_bias(turn):
    """It stopped at the transpose ("cannot import builtins.getattr … no LayerLoom block does
    this"), read before the product that holds it."""
    torch.manual_seed(3)
    graph = _imported(Turned(turn), (4,))
    assert [(n.type, n.params) for n in graph.nodes] == [
        ("Input", {"shape": [4]}), ("Linear", {"out_features": 5, "bias": False}),
        ("Output", {})]


class SharedBias(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(4, 4))
        self.b = nn.Parameter(torch.randn(4))

    def forward(self, x):
        return x @ self.W + self.b + self.b


def test_a_bias_that_is_not_the_products_alone_is_not_folded_in():
    """``x @ W + b + b``: the first add folds (a Linear with b), the second adds the
    parameter b again, which no block holds: refused naming it, as before."""
    with pytest.raises(GraphError, match=r"'b'"):
        import_torch(SharedBias().eval(), (4,))
