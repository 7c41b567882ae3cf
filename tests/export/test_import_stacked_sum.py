"""Tensors stacked along a new first dimension and summed (or averaged) over it import as the
sum: a WaveNet's skip connections, ``torch.stack(skips).sum(dim=0)`` (as golbin's and others'
WaveNets write it), and an ensemble of heads averaged, ``torch.stack([...]).mean(0)``, become
Add blocks (and a Rescaling by 1/n for the mean).

Before, both stopped at the stack: "cannot import torch.stack ...: it stacks along the batch
dimension", with no word of what imports."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class CausalConv1d(nn.Conv1d):
    def __init__(self, cin, cout, kernel_size, dilation=1):
        super().__init__(cin, cout, kernel_size, padding=(kernel_size - 1) * dilation,
                         dilation=dilation)
        self.chomp = (kernel_size - 1) * dilation

    def forward(self, x):
        return super().forward(x)[:, :, :-self.chomp]


class ResidualBlock(nn.Module):
    def __init__(self, residual, skip, dilation):
        super().__init__()
        self.dilated = nn.Conv1d(residual, 2 * residual, 2, dilation=dilation)
        self.conv_res = nn.Conv1d(residual, residual, 1)
        self.conv_skip = nn.Conv1d(residual, skip, 1)
        self.dilation = dilation

    def forward(self, x):
        out = self.dilated(F.pad(x, (self.dilation, 0)))
        filters, gates = out.chunk(2, dim=1)
        gated = torch.tanh(filters) * torch.sigmoid(gates)
        return self.conv_res(gated) + x, self.conv_skip(gated)


class WaveNet(nn.Module):
    def __init__(self, channels=1, residual=8, skip=6, classes=4, layers=4):
        super().__init__()
        self.causal = CausalConv1d(channels, residual, 2)
        self.blocks = nn.ModuleList(ResidualBlock(residual, skip, 2 ** i) for i in range(layers))
        self.dense = nn.Sequential(nn.ReLU(), nn.Conv1d(skip, skip, 1), nn.ReLU(),
                                   nn.Conv1d(skip, classes, 1))

    def forward(self, x):
        x = self.causal(x)
        skip_connections = []
        for block in self.blocks:
            x, skip = block(x)
            skip_connections.append(skip)
        return self.dense(torch.stack(skip_connections).sum(dim=0))


class Ensemble(nn.Module):
    def __init__(self, features=6, classes=3, heads=3, reduce="mean"):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 8), nn.ReLU())
        self.heads = nn.ModuleList(nn.Linear(8, classes) for _ in range(heads))
        self.reduce = reduce

    def forward(self, x):
        h = self.body(x)
        stacked = torch.stack([head(h) for head in self.heads])
        return stacked.mean(0) if self.reduce == "mean" else torch.sum(stacked, dim=0)


def _compiled(graph, state):
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    return compiled


def test_wavenets_stacked_skip_connections_import_as_their_sum():
    torch.manual_seed(0)
    model = WaveNet().eval()
    graph, weights = import_torch(model, (1, 32))
    state = weights.apply(model.state_dict())
    # three residuals (the last block's goes unused), then the four skips added
    assert [n.type for n in graph.nodes].count("Add") == 3 + 3
    shapes = {n.id: n.output_shape for n in summarize(graph).nodes}
    assert shapes[graph.nodes[-1].id] == [4, 32]
    # the last block's residual convolution computes nothing the outputs use: left out
    unused = sum(p.numel() for p in model.blocks[-1].conv_res.parameters())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters()) - unused
    assert check_import(model, graph, state, (1, 32), weights=weights) < 1e-5
    x = torch.randn(2, 1, 32)
    with torch.no_grad():
        torch.testing.assert_close(_compiled(graph, state)(x), model(x))


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_an_ensemble_of_heads_stacked_and_averaged_imports(reduce):
    torch.manual_seed(0)
    model = Ensemble(reduce=reduce).eval()
    graph, weights = import_torch(model, (6,))
    types = [n.type for n in graph.nodes]
    assert types.count("Add") == 2 and types.count("Rescaling") == (reduce == "mean")
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    x = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(_compiled(graph, state)(x), model(x))


def test_a_stack_used_otherwise_is_still_refused():
    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

        def forward(self, x):
            return torch.stack([self.a(x), self.b(x)]).amax(0)

    with pytest.raises(GraphError, match="it stacks along the batch dimension"):
        import_torch(Stacked().eval(), (4,))
