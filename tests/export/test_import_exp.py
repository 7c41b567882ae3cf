"""``torch.exp`` (``x.exp()``, ``x.exp_()``) imports as the Exp block: GRU-D's input decay,
``gamma = torch.exp(-F.relu(self.gamma_x(delta)))`` (Che et al., as its public PyTorch ports
write it), and a Gaussian head's scale kept as its logarithm, ``sigma = self.log_sigma(h).exp()``
(DeepAR-style regression), import and give the models' outputs.

Before, both stopped at the exp: "cannot import torch.exp ...: no LayerLoom block does this;
fix: e^x has no block of its own: a softmax written by hand ... is F.softmax(x, dim) ..., and a
VAE's std = torch.exp(0.5 * logvar) only serves sampling" — none of which applies to them."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class GRUD(nn.Module):
    """GRU-D's input side on [T, 3F] steps (values, their mask, time since last observed)."""

    def __init__(self, features=4, hidden=8, classes=2):
        super().__init__()
        self.features = features
        self.gamma_x = nn.Linear(features, features)
        self.register_buffer("x_mean", torch.linspace(-1, 1, features))
        self.gru = nn.GRU(3 * features, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, inputs):
        f = self.features
        x, mask, delta = inputs[:, :, :f], inputs[:, :, f:2 * f], inputs[:, :, 2 * f:]
        gamma = torch.exp(-F.relu(self.gamma_x(delta)))
        x = mask * x + (1 - mask) * (gamma * x + (1 - gamma) * self.x_mean)
        h, _ = self.gru(torch.cat([x, mask, delta], dim=-1))
        return self.classifier(h[:, -1])


class GaussianHead(nn.Module):
    def __init__(self, features=6, hidden=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, hidden), nn.ReLU())
        self.mu, self.log_sigma = nn.Linear(hidden, 1), nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.log_sigma(h).exp()


def _imports(model, shape, x):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, shape)
    # the model's learned parameters are the design's (GRU-D's mean, a buffer, held frozen)
    assert summarize(graph).trainable_params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
    return graph


def test_grud_input_decay_imports_with_an_exp_block():
    torch.manual_seed(0)
    graph = _imports(GRUD(), (10, 12), torch.rand(3, 10, 12))
    assert [n.type for n in graph.nodes].count("Exp") == 1
    shapes = {n.id: n.output_shape for n in summarize(graph).nodes}
    exp = next(n for n in graph.nodes if n.type == "Exp")
    assert shapes[exp.id] == [10, 4]


def test_a_gaussian_heads_scale_kept_as_its_logarithm_imports():
    torch.manual_seed(0)
    graph = _imports(GaussianHead(), (6,), torch.randn(5, 6))
    exp = next(n for n in graph.nodes if n.type == "Exp")
    assert {n.id: n.output_shape for n in summarize(graph).nodes}[exp.id] == [1]
