"""Rotary position embeddings (RoPE, as LLaMA and GPT-NeoX write them) are refused at their
line, saying what they are, where the rotation is and what imports instead.

The cos and sin of the positions multiply the queries and keys; no block rotates values by
their position, so the design cannot hold them, whether the frequencies are computed in
forward from torch.arange or kept in a buffer. The refusal said only that "of positions made
in forward, only an nn.Embedding of them added to the token embeddings maps", at the
frequencies' arange, with no word of RoPE or of the product that uses them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class RotaryAttention(nn.Module):
    def __init__(self, dim=16, heads=2, buffer=False):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
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
        freqs = torch.outer(torch.arange(T).float(), inv_freq)  # positions
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
def test_rope_is_refused_at_its_positions_naming_the_rotation_and_what_imports(buffer):
    with pytest.raises(GraphError) as caught:
        import_torch(RotaryAttention(buffer=buffer).eval(), (12, 16))
    message = str(caught.value)
    assert message.startswith(f"{_line('# positions')}: cannot import ")
    assert "which the model makes into rotary position embeddings (RoPE: their cos and sin " \
           f"multiply the values at {_line('# rotate')}); no block rotates values by their " \
           "position" in message
    assert "A model with absolute positions imports: a learned position embedding added to " \
           "the token embeddings" in message
