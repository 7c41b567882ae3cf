"""Layers with ``weight_norm`` (a ``torch.nn.utils`` hook, or the
``torch.nn.utils.parametrizations`` form) import as their block with ``weight_norm: true``,
g and v kept as the block's own weights: locuslab's TCN (every convolution weight-normed, with
the hook), a WaveNet-style gated stack and a HiFi-GAN-style upsampler (parametrizations, on
ConvTranspose1d too), an MLP's Linear layers. The parameter count and the outputs are the
model's, a training step changes both alike (g and v learn, not one plain weight), and the
design exports as code, TorchScript and ONNX that match. Before, each stopped at "its weight is
reparametrised by weight_norm ..., which no block keeps"."""

from __future__ import annotations


import pytest
import torch
from tcn_parts import TemporalBlock
from tcn_parts import weight_norm as hooked
from torch import nn
from torch.nn.utils import parametrizations

from layerloom.graph import compile_graph, summarize
from layerloom.graph.codegen import generate_code
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class TCN(nn.Module):
    def __init__(self, channels=(8, 8), kernel_size=2):
        super().__init__()
        layers, width = [], 3
        for i, out in enumerate(channels):
            dilation = 2 ** i
            layers.append(TemporalBlock(width, out, kernel_size, 1, dilation,
                                        (kernel_size - 1) * dilation))
            width = out
        self.network = nn.Sequential(*layers)
        self.linear = nn.Linear(width, 4)

    def forward(self, x):
        return self.linear(self.network(x)[:, :, -1])


class WaveNet(nn.Module):  # gated, dilated convolutions with residual and skip paths
    def __init__(self, channels=6, layers=3):
        super().__init__()
        wn = parametrizations.weight_norm
        self.start = wn(nn.Conv1d(2, channels, 1))
        self.filters = nn.ModuleList(wn(nn.Conv1d(channels, channels, 3, padding=2 ** i,
                                                  dilation=2 ** i)) for i in range(layers))
        self.gates = nn.ModuleList(wn(nn.Conv1d(channels, channels, 3, padding=2 ** i,
                                                dilation=2 ** i)) for i in range(layers))
        self.residuals = nn.ModuleList(wn(nn.Conv1d(channels, channels, 1))
                                       for _ in range(layers))
        self.end = wn(nn.Conv1d(channels, 2, 1))

    def forward(self, x):
        x = self.start(x)
        skip = 0
        for f, g, r in zip(self.filters, self.gates, self.residuals):
            h = torch.tanh(f(x)) * torch.sigmoid(g(x))
            x = x + r(h)
            skip = skip + h
        return self.end(torch.relu(skip + x))


class Upsampler(nn.Module):  # HiFi-GAN's generator, in small
    def __init__(self):
        super().__init__()
        wn = parametrizations.weight_norm
        self.pre = wn(nn.Conv1d(5, 8, 7, padding=3))
        self.up = wn(nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1))
        self.post = wn(nn.Conv1d(4, 1, 7, padding=3))

    def forward(self, x):
        x = nn.functional.leaky_relu(self.pre(x), 0.1)
        x = nn.functional.leaky_relu(self.up(x), 0.1)
        return torch.tanh(self.post(x))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = parametrizations.weight_norm(nn.Linear(6, 16))
        self.fc2 = hooked(nn.Linear(16, 3))

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


CASES = [(TCN, (3, 12), 4), (WaveNet, (2, 10), 11), (Upsampler, (5, 9), 3), (MLP, (6,), 2)]


@pytest.mark.parametrize("cls, shape, normed", CASES, ids=[c[0].__name__ for c in CASES])
def test_weight_normed_layers_import_with_g_and_v(cls, shape, normed, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    with torch.no_grad():  # g away from ‖v‖ (as after training), so that g shows in the outputs
        for name, p in model.named_parameters():
            if name.endswith(("weight_g", "original0")):
                p.mul_(torch.empty_like(p).uniform_(0.5, 2))
    graph, weights = import_torch(model, shape)
    assert sum(bool(n.params.get("weight_norm")) for n in graph.nodes) == normed
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5

    # one step of SGD on each (in evaluation mode: no dropout): g and v learn in both, so the
    # outputs stay equal
    for net in (model, compiled):
        optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
        net(x).square().mean().backward()
        optimizer.step()
    with torch.no_grad():
        stepped, got = model(x), compiled(x)
    assert (stepped - want).abs().max() > 1e-3 and (got - stepped).abs().max() < 1e-4

    assert "WeightNorm(nn.Conv" in generate_code(graph) or "WeightNorm(nn.Linear" in \
        generate_code(graph)
    state = weights.apply(model.state_dict())
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5
