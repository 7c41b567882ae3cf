"""Weights a model multiplies by in ``forward`` rather than through a layer, and weights made
inside ``forward``.

``x @ self.W`` (a parameter ``[in, out]``, as from-scratch layers and tutorials keep it) and
``x @ self.projection.T`` or ``torch.matmul(x, self.proj)`` (a fixed random projection kept as a
buffer: random features, Tancik's Fourier features) import as a Linear without bias holding the
matrix, learned or frozen as in the model; they stopped at "it multiplies by the parameter
'W' directly" or at "a constant tensor made in forward" (the tracer takes a buffer's ``.T`` at
once). A layer or a parameter made inside ``forward`` has new random values at every call:
there is nothing faithful to import, and the refusal says so at the line, with the fix; it said
"module is not installed as a submodule" or "parameter is not a member of this module"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import import_torch


class ScratchLinear(nn.Module):
    """A layer written from scratch, its weight ``[in, out]``."""

    def __init__(self, in_features=4, out_features=6):
        super().__init__()
        self.W = nn.Parameter(torch.randn(in_features, out_features) * 0.5)

    def forward(self, x):
        return x @ self.W


class ScratchMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = ScratchLinear(4, 6)
        self.out = nn.Linear(6, 3)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


class RandomFeatures(nn.Module):
    """A fixed random projection (a buffer, never learned), then a learned head."""

    def __init__(self, d=4, features=16, classes=3):
        super().__init__()
        self.register_buffer("projection", torch.randn(features, d) / 2)
        self.head = nn.Linear(features, classes)

    def forward(self, x):
        return self.head(torch.relu(x @ self.projection.T))


class ProjectedTokens(nn.Module):
    """``torch.matmul`` of a sequence by a fixed ``[in, out]`` buffer."""

    def __init__(self):
        super().__init__()
        self.register_buffer("proj", torch.randn(8, 5))
        self.norm = nn.LayerNorm(5)

    def forward(self, x):  # (B, L, 8)
        return self.norm(torch.matmul(x, self.proj))


def _imported(model, shape):
    torch.manual_seed(0)
    graph, weights = import_torch(model.eval(), shape)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    return graph


def test_a_product_by_a_parameter_imports_as_a_learned_linear():
    torch.manual_seed(0)
    model = ScratchMLP()
    graph = _imported(model, (4,))
    [first, _] = [n for n in graph.nodes if n.type == "Linear"]
    assert first.params == {"out_features": 6, "bias": False}
    assert first.extra.get("trainable") is not False
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("cls, shape", [(RandomFeatures, (4,)), (ProjectedTokens, (7, 8))],
                         ids=["projection.T", "matmul"])
def test_a_product_by_a_buffer_imports_as_a_frozen_linear(cls, shape):
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="frozen as in the model"):
        graph = _imported(cls(), shape)
    [projection] = [n for n in graph.nodes if n.type == "Linear" and not n.params.get(
        "bias", True)]
    assert projection.extra.get("trainable") is False


class SharedProjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(4, 4))

    def forward(self, x):
        return (x @ self.W) @ self.W


def test_a_matrix_multiplying_twice_is_refused_naming_it():
    with pytest.raises(GraphError, match=r"the parameter 'W' multiplies more than one tensor, "
                                         r"sharing its values"):
        import_torch(SharedProjection().eval(), (4,))


class LayerMadeInForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        h = nn.Linear(4, 8)(x)
        return self.head(h)


class ParameterMadeInForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        w = nn.Parameter(torch.randn(4, 8))
        return self.head(x @ w)


def test_a_layer_made_in_forward_is_refused_saying_why_at_its_line():
    with pytest.raises(GraphError, match=r"it makes nn\.Linear\(in_features=4, out_features=8, "
                                         r"bias=True\), a layer with weights, inside forward, so "
                                         r"its weights are drawn anew at every call.*make the "
                                         r"layer in __init__.*test_import_weight_products\.py "
                                         r"line \d+ `h = nn\.Linear\(4, 8\)\(x\)`"):
        import_torch(LayerMadeInForward().eval(), (4,))


def test_a_parameter_made_in_forward_is_refused_saying_why_at_its_line():
    with pytest.raises(GraphError, match=r"it makes a parameter inside forward \(nn\.Parameter"
                                         r"\(\.\.\.\)\), so its values are new at every call.*"
                                         r"Make it in __init__.*test_import_weight_products\.py "
                                         r"line \d+ `return self\.head\(x @ w\)`"):
        import_torch(ParameterMadeInForward().eval(), (4,))


class MaskedLinear(nn.Linear):
    """karpathy/pytorch-made: a Linear whose weight is masked at every call."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def forward(self, input):
        return F.linear(input, self.mask * self.weight, self.bias)


class Made(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(MaskedLinear(4, 8), nn.ReLU(), MaskedLinear(8, 4))

    def forward(self, x):
        return self.net(x)


class StdConv2d(nn.Conv2d):
    """timm's: the weight standardised at every call (BiT)."""

    def __init__(self, *args, eps=1e-6, **kwargs):
        super().__init__(*args, **kwargs)
        self.eps = eps

    def forward(self, x):
        weight = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None,
                              training=True, momentum=0., eps=self.eps).reshape_as(self.weight)
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Bit(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = StdConv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.stem(x)


@pytest.mark.parametrize("model, shape, what, line", [
    (Made(), (4,), "F.linear", r"cannot import Tensor\.mul in net\.0 \(MaskedLinear\)"),
    (Bit(), (3, 8, 8), "F.conv2d", r"cannot import torch\.nn\.functional\.batch_norm in stem "
                                   r"\(StdConv2d\)")], ids=["made", "std-conv"])
def test_a_weight_computed_in_forward_is_refused_saying_so(model, shape, what, line):
    with pytest.raises(GraphError, match=rf"^test_import_weight_products\.py:\d+: {line}: it "
                                         rf"computes the weight of {what} in forward from the "
                                         rf"model's own parameters and buffers .*store that "
                                         rf"weight in the layer once"):
        import_torch(model.eval(), shape)
