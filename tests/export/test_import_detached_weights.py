"""A weight read through ``.data`` or ``.detach()`` in forward, as d2l's own linear layer reads
its weights (``torch.matmul(X, self.weight.data) + self.bias.data``): it stopped at the read
("cannot import builtins.getattr … no LayerLoom block does this"). It imports as the weight
itself, frozen as in the model, where no gradient reaches it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.import_torch import import_torch


class MyLinear(nn.Module):
    """d2l 6.5, a layer with parameters."""

    def __init__(self, in_units=8, units=6):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)



class DetachedHead(nn.Module):
    """A fixed head read with .detach() and transposed, a learned layer before it."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.W = nn.Parameter(torch.randn(3, 8))

    def forward(self, x):
        return torch.relu(self.body(x)) @ self.W.detach().T


def _imported(model, shape):
    graph, weights = import_torch(model.eval(), shape)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    return graph


def test_d2l_layer_reading_its_weights_through_data_imports_frozen_as_in_the_model():
    """``.data`` stops the gradient: the model never trains them, so the Linear is frozen,
    the note naming the read's line."""
    torch.manual_seed(2)
    with pytest.warns(UserWarning, match=r"frozen as in the model .*: weight: no gradient "
                                         r"reaches them in the model: every path to the outputs "
                                         r"goes through `\.data` at test_import_detached_weights"
                                         r"\.py:\d+$"):
        graph = _imported(MyLinear(), (8,))
    assert [(n.type, n.params, n.extra.get("trainable")) for n in graph.nodes] == [
        ("Input", {"shape": [8]}, None), ("Linear", {"out_features": 6}, False),
        ("ReLU", {}, None), ("Output", {}, None)]



def test_a_weight_read_with_detach_is_frozen_and_the_layer_before_it_learns():
    torch.manual_seed(3)
    with pytest.warns(UserWarning, match=r"frozen as in the model .*: W: no gradient reaches "
                                         r"them in the model: every path to the outputs goes "
                                         r"through `\.detach\(\)` at "):
        graph = _imported(DetachedHead(), (4,))
    assert [(n.type, n.extra.get("trainable")) for n in graph.nodes] == [
        ("Input", None), ("Linear", None), ("ReLU", None), ("Linear", False), ("Output", None)]
