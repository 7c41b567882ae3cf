"""A diffusion model's sinusoidal time embedding: each sample's time step times a vector of
frequencies, then its cosines and sines (``args = t * self.freqs[None]; torch.cat([
torch.cos(args), torch.sin(args)], -1)``). With the frequencies a buffer, the product is a
frozen Linear from the one value to them, and the embedding imports with the model's outputs;
it stopped at the product ("its other is a constant tensor made in forward"). Frequencies
computed in forward from ``torch.arange``, as most public code writes them, are refused at
their line saying to make them a buffer."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch import import_torch


class TimeEmbedding(nn.Module):
    def __init__(self, dim=16, indexed=True):
        super().__init__()
        half = dim // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000) * torch.arange(half) / half))
        self.indexed = indexed
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.SiLU(), nn.Linear(4 * dim, dim))

    def forward(self, t):
        args = t * (self.freqs[None] if self.indexed else self.freqs)
        return self.mlp(torch.cat([torch.cos(args), torch.sin(args)], dim=-1))


class ComputedFrequencies(nn.Module):
    """The annotated diffusion model's SinusoidalPositionEmbeddings, on t [B, 1]."""

    def __init__(self, dim=16):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim, device=time.device) * -embeddings)
        embeddings = time * embeddings[None, :]
        return torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)


@pytest.mark.parametrize("indexed", [True, False], ids=["freqs[None]", "freqs"])
def test_a_time_embedding_with_its_frequencies_in_a_buffer_imports(indexed):
    torch.manual_seed(0)
    model = TimeEmbedding(indexed=indexed).eval()
    with pytest.warns(UserWarning, match=r"frozen as in the model .*: freqs: 'freqs' is a "
                                         r"buffer of the model"):
        graph, weights = import_torch(model, (1,))
    assert [(n.type, n.params) for n in graph.nodes][:5] == [
        ("Input", {"shape": [1]}), ("Linear", {"out_features": 8, "bias": False}),
        ("Cos", {}), ("Sin", {}), ("Concat", {"dim": -1})]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    t = torch.randint(0, 1000, (6, 1)).float()
    with torch.no_grad():
        torch.testing.assert_close(compiled(t), model(t), atol=1e-5, rtol=1e-4)


def test_frequencies_computed_in_forward_are_refused_saying_to_make_them_a_buffer():
    with pytest.raises(GraphError, match=r"test_import_time_embedding\.py:\d+: .*import made "
                                         r"once in __init__ as a buffer \(self\.register_buffer"
                                         r"\('freqs', \.\.\.\)\): t \* self\.freqs, t a \[B, 1\] "
                                         r"time step, is a frozen Linear"):
        import_torch(ComputedFrequencies().eval(), (1,))
