"""Rotary position embeddings (RoPE, as LLaMA and GPT-NeoX write them in transformers: the
cos and sin of the positions times the frequencies multiply the queries and keys,
``q * cos + rotate_half(q) * sin``) import as the RotaryEmbedding block on the queries and keys,
whether the frequencies are computed in forward from torch.arange or kept in a buffer: the
design's shapes, parameter counts and outputs are the model's, at the traced length and at
another. A rotation the block does not compute (positions scaled, as position interpolation
does) is still refused at the positions' line, saying it is RoPE and where the rotation is.

Before, every RoPE was refused so ("no block rotates values by their position"); earlier the
refusal said only that "of positions made in forward, only an nn.Embedding of them added to
the token embeddings maps"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class RotaryAttention(nn.Module):
    def __init__(self, dim=16, heads=2, buffer=False, scale=1.0):
        super().__init__()
        self.heads, self.head_dim, self.scale = heads, dim // heads, scale
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.buffer = buffer
        if buffer:  # transformers' LlamaRotaryEmbedding keeps its frequencies so
            self.register_buffer("inv_freq", self.frequencies(), persistent=False)

    def frequencies(self):
        return 1.0 / (10000 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v))
        inv_freq = self.inv_freq if self.buffer else self.frequencies()
        freqs = torch.outer(torch.arange(T).float() / self.scale, inv_freq)  # positions
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        q = q * cos + rotate_half(q) * sin  # rotate
        k = k * cos + rotate_half(k) * sin
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


def _line(marker: str) -> str:
    lines = open(__file__, encoding="utf-8").read().splitlines()
    return f"test_import_rotary.py:{next(i for i, t in enumerate(lines, 1) if marker in t)}"


@pytest.mark.parametrize("buffer", [False, True])
def test_rope_imports_as_the_rotary_block_with_the_models_outputs(buffer):
    torch.manual_seed(0)
    model = RotaryAttention(buffer=buffer).eval()
    graph, weights = import_torch(model, (12, 16))
    rotations = [n for n in graph.nodes if n.type == "RotaryEmbedding"]
    assert [n.params for n in rotations] == [{"base": 10000.0}] * 2  # the queries, the keys
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    assert {tuple(n.output_shape) for n in summary.nodes if n.id in {r.id for r in rotations}} \
        == {(2, 12, 8)}  # (heads, steps, head_dim)
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (12, 16), weights=weights) < 1e-5
    longer = graph.copy()  # the angles follow the length, as the model's do
    next(n for n in longer.nodes if n.type == "Input").params["shape"] = [20, 16]
    compiled = compile_graph(longer).eval()
    compiled.load_state_dict(state)
    x = torch.randn(3, 20, 16)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)


def test_a_rotation_of_scaled_positions_is_refused_at_its_line_naming_rope():
    with pytest.raises(GraphError) as caught:
        import_torch(RotaryAttention(scale=2.0).eval(), (12, 16))
    message = str(caught.value)
    assert message.startswith(f"{_line('# positions')}: cannot import ")
    assert "which the model makes into rotary position embeddings (RoPE: their cos and sin " \
           f"multiply the values at {_line('# rotate')})" in message
