"""A bias added to the scores of an attention the model wrote out (q @ kᵀ, + bias, softmax,
@ v) is refused naming the attention as written, and a learned table of relative positions
(Swin's window attention by hand: ``self.table[self.index.view(-1)]``) by its name, with what
imports instead (torchvision's ShiftedWindowAttention, which holds Swin's table).

Before, both named a call the model never makes, ``torch.nn.functional.scaled_dot_product_
attention`` (the import's own rewrite of the written-out attention), told the user to "call
torch.nn.functional.scaled_dot_product_attention without attn_mask", and said nothing of the
table."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class WindowAttention(nn.Module):
    """Swin's WindowAttention (microsoft/Swin-Transformer) on [windows, N, C] tokens."""

    def __init__(self, dim=16, window=4, heads=2):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.randn((2 * window - 1) ** 2, heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                            indexing="ij")).flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("relative_position_index",
                             relative[..., 0] * (2 * window - 1) + relative[..., 1])
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        attn = attn + bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0)  # bias
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class DistanceBias(nn.Module):
    """A fixed bias of the distance between steps, added to written-out scores (ALiBi-like)."""

    def __init__(self, dim=16, heads=2, max_len=32):
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        i = torch.arange(max_len, dtype=torch.float32)
        self.register_buffer("distance", -(i[:, None] - i[None, :]).abs())

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = q @ k.transpose(-2, -1) * (C // self.heads) ** -0.5
        att = att + self.distance[:T, :T]  # distance
        y = att.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


def _line(marker: str) -> str:
    lines = open(__file__, encoding="utf-8").read().splitlines()
    return f"test_import_written_out_bias.py:{next(i for i, t in enumerate(lines, 1) if marker in t)}"


def test_swins_relative_position_table_is_refused_naming_it_and_what_imports():
    with pytest.raises(GraphError) as caught:
        import_torch(WindowAttention().eval(), (16, 16))
    message = str(caught.value)
    assert "scaled_dot_product_attention" not in message
    assert f"in WindowAttention.forward: it computes what is put on the scores (a mask or a " \
           f"bias) of the attention written out at {_line('# bias')}, which does not " \
           f"import: " in message
    assert "it is the learned table 'relative_position_bias_table' [49, 2] looked up by " \
           "positions: a relative position bias, as Swin's window attention adds it. " \
           "torchvision's ShiftedWindowAttention(dim, window_size=[w, w], shift_size=[s, s], " \
           "num_heads), which holds Swin's table, imports (the ShiftedWindowAttention block)" \
           in message


def test_a_bias_on_written_out_scores_is_refused_as_the_attention_written():
    with pytest.raises(GraphError) as caught:
        import_torch(DistanceBias().eval(), (12, 16))
    message = str(caught.value)
    assert message.startswith(f"{_line('# distance')}: cannot import the attention written out "
                              f"(its scores, softmax and @ v) in DistanceBias.forward: what it "
                              f"puts on its scores (a mask or a bias): it adds values other "
                              f"than 0")
    assert "scaled_dot_product_attention" not in message
    assert "a bias on them (ALiBi, relative positions), not a mask" in message
    assert "an attention written out imports with no mask on its scores, the causal one or a " \
           "padding mask from token ids" in message
    assert "fix: leave it out, or write such a mask" in message
