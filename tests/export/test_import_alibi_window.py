"""Attention biases and masks no block holds are refused at the line that applies them, saying
what they are: ALiBi's per-head linear bias on the scores (ofirpress' attention_with_linear_biases,
a buffer of slope * (j - i) cut to the length), and a causal sliding window given to
``F.scaled_dot_product_attention`` as a bool mask (Mistral's local attention written out). Both
compute other outputs than any attention block (a plain or causal one, or one with a padding
mask), so importing them as one would not be faithful."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


def get_slopes(n):
    start = 2 ** (-2 ** -(math.log2(n) - 3))
    return [start * start ** i for i in range(n)]


class ALiBiAttention(nn.Module):
    def __init__(self, dim=16, heads=2, max_len=32):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        pos = torch.arange(max_len)
        rel = (pos[None, :] - pos[:, None]).float()
        self.register_buffer("alibi", torch.tensor(get_slopes(heads))[:, None, None] * rel)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att + self.alibi[:, :T, :T]  # alibi
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class BloomALiBi(nn.Module):
    """BLOOM's ALiBi (transformers' build_alibi_tensor): each head's slope times the key's
    position, [H, 1, L], with the causal mask's -inf above the diagonal."""

    def __init__(self, dim=16, heads=2, max_len=32):
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        slopes = torch.tensor(get_slopes(heads))
        self.register_buffer("alibi", slopes[:, None, None] * torch.arange(max_len)[None, None])
        causal = torch.full((max_len, max_len), float("-inf")).triu(1)
        self.register_buffer("causal", causal)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att + (self.alibi[:, :, :T] + self.causal[:T, :T])  # bloom alibi
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class SlidingWindowAttention(nn.Module):
    def __init__(self, dim=16, heads=2, window=4):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        i = torch.arange(T, device=x.device)
        mask = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < self.window)  # window
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


def _line(marker: str) -> str:
    lines = open(__file__, encoding="utf-8").read().splitlines()
    return f"test_import_alibi_window.py:{next(i for i, t in enumerate(lines, 1) if marker in t)}"


def test_alibi_is_refused_as_a_bias_on_the_scores_at_its_add():
    with pytest.raises(GraphError) as caught:
        import_torch(ALiBiAttention().eval(), (12, 16))
    assert str(caught.value).startswith(f"{_line('# alibi')}: ")
    assert "it adds values other than 0 and -inf (or at most -1e4) to the scores: a bias on " \
           "them (ALiBi, relative positions), not a mask; no block adds one" in str(caught.value)


@pytest.mark.parametrize("model, marker", [(ALiBiAttention, "# alibi"),
                                           (BloomALiBi, "# bloom alibi")])
def test_alibi_is_named_with_its_slopes(model, marker):
    """The refusal names ALiBi and each head's slope (get_slopes(2): 1/16, 1/256), as it names
    Swin's learned table, where before it gave only the words of any bias."""
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), (12, 16))
    message = str(caught.value)
    assert message.startswith(f"{_line(marker)}: ")
    assert "it is ALiBi's linear bias, each head's slope (0.0625, 0.003906) times the distance " \
           "between the steps, which no attention block adds: a model with ALiBi does not " \
           "import; one with absolute positions does" in message


def test_a_sliding_window_mask_is_refused_as_a_window_at_its_line():
    with pytest.raises(GraphError) as caught:
        import_torch(SlidingWindowAttention().eval(), (12, 16))
    assert str(caught.value).startswith(f"{_line('# window')}: ")
    assert "it keeps fixed positions that are neither every one nor the causal ones (each step " \
           "and those before it): a window or a pattern of positions, which no block takes" \
           in str(caught.value)
