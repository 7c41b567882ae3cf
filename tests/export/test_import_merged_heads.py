"""Attention heads merged into the batch, as lucidrains' perceiver-pytorch writes its
cross-attention (``rearrange(t, 'b n (h d) -> (b h) n d')``, einsums over ``b``, then
``'(b h) n d -> b n (h d)'``), import with the heads kept as a dimension of their own: the
design's attention is the Unflatten, Permute and MatMul blocks of any written-out attention, and
it runs at other lengths as the model does.

Before, the import stopped at the merge: "cannot import einops.rearrange(x, 'b n (h d) -> (b h)
n d') (its Tensor.reshape) in cross_attn (Attention): it reshapes [3, 2, 4, 8] (batch first) to
[6, 4, 8], moving the batch dimension"; and the same with plain reshapes."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange, repeat
from torch import einsum, nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class Attention(nn.Module):
    def __init__(self, query_dim, context_dim=None, heads=2, dim_head=8, einops=True):
        super().__init__()
        inner_dim = dim_head * heads
        context_dim = context_dim or query_dim
        self.scale, self.heads, self.einops = dim_head ** -0.5, heads, einops
        self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_kv = nn.Linear(context_dim, inner_dim * 2, bias=False)
        self.to_out = nn.Linear(inner_dim, query_dim)

    def merge(self, t):
        if self.einops:
            return rearrange(t, "b n (h d) -> (b h) n d", h=self.heads)
        b, n, _ = t.shape
        return t.reshape(b, n, self.heads, -1).permute(0, 2, 1, 3).reshape(b * self.heads, n, -1)

    def split(self, t):
        if self.einops:
            return rearrange(t, "(b h) n d -> b n (h d)", h=self.heads)
        bh, n, d = t.shape
        return t.reshape(bh // self.heads, self.heads, n, d).permute(0, 2, 1, 3).reshape(
            bh // self.heads, n, -1)

    def forward(self, x, context=None):
        q = self.to_q(x)
        context = context if context is not None else x
        k, v = self.to_kv(context).chunk(2, dim=-1)
        q, k, v = map(self.merge, (q, k, v))
        sim = einsum("b i d, b j d -> b i j", q, k) * self.scale
        attn = sim.softmax(dim=-1)
        return self.to_out(self.split(einsum("b i j, b j d -> b i d", attn, v)))


class Perceiver(nn.Module):
    def __init__(self, input_dim=6, num_latents=4, latent_dim=16, classes=3, einops=True):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim))
        self.norm, self.norm_context = nn.LayerNorm(latent_dim), nn.LayerNorm(input_dim)
        self.cross_attn = Attention(latent_dim, input_dim, einops=einops)
        self.latent_attn = Attention(latent_dim, einops=einops)
        self.head = nn.Linear(latent_dim, classes)

    def forward(self, data):
        x = repeat(self.latents, "n d -> b n d", b=data.shape[0])
        x = self.cross_attn(self.norm(x), context=self.norm_context(data)) + x
        x = self.latent_attn(x) + x
        return self.head(x.mean(dim=-2))


@pytest.mark.parametrize("einops", [True, False])
def test_heads_merged_into_the_batch_import_as_a_dimension_of_their_own(einops):
    torch.manual_seed(0)
    model = Perceiver(einops=einops).eval()
    graph, weights = import_torch(model, (20, 6))
    types = [n.type for n in graph.nodes]
    assert types.count("MatMul") == 4 and types.count("Softmax") == 2
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    shapes = {n.id: n.output_shape for n in summarize(graph).nodes}
    scores = [n.id for n in graph.nodes if n.type == "Softmax"]
    assert [shapes[s] for s in scores] == [[2, 4, 20], [2, 4, 4]]  # [heads, latents, keys]
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (20, 6), weights=weights) < 1e-5
    other = graph.copy()
    next(n for n in other.nodes if n.type == "Input").params["shape"] = [30, 6]
    compiled = compile_graph(other).eval()
    compiled.load_state_dict(state, strict=True)
    data = torch.randn(2, 30, 6)
    with torch.no_grad():
        torch.testing.assert_close(compiled(data), model(data), atol=1e-5, rtol=1e-5)
