"""T5's self-attention as transformers' modeling_t5 writes it (T5Attention without a cache or
masks): its relative position bias, an ``nn.Embedding(num_buckets, n_heads)`` looked up by the
bucketed relative positions ``memory_position - context_position`` (two ``torch.arange``) and
added to the attention scores, has no block. The import is refused at the line of the
positions, naming the embedding and saying what imports instead, and that either rewrite
changes the model. Before, the refusal spoke of learned absolute positions only."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch

class T5Attention(nn.Module):
    def __init__(self, d_model=16, n_heads=2, has_relative_attention_bias=True,
                 relative_attention_num_buckets=8, relative_attention_max_distance=16):
        super().__init__()
        self.d_model, self.n_heads = d_model, n_heads
        self.key_value_proj_dim = d_model // n_heads
        self.inner_dim = d_model
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.has_relative_attention_bias = has_relative_attention_bias
        self.is_decoder = False
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.o = nn.Linear(d_model, d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(relative_attention_num_buckets, n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
        )
        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        if device is None:
            device = self.relative_attention_bias.weight.device
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]  # context
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position,
            bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)
        values = values.permute([2, 0, 1]).unsqueeze(0)
        return values

    def forward(self, hidden_states):
        batch_size, seq_length = hidden_states.shape[:2]
        q = self.q(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        k = self.k(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        v = self.v(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(3, 2))
        position_bias = self.compute_bias(seq_length, seq_length, device=scores.device)
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_output = torch.matmul(attn_weights, v)
        attn_output = attn_output.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)
        return self.o(attn_output)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = T5Attention()
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.attn(x).mean(1))


def test_t5s_relative_position_bias_is_refused_naming_it(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Net().eval(), (10, 16))
    message = str(caught.value)
    assert message.startswith(f"{line_of('context')}: cannot import operator.getitem in attn "
                              f"(T5Attention): the positions are relative")
    assert ("looked up in attn.relative_attention_bias (nn.Embedding(8, 2)) to be added to "
            "the attention scores: T5's relative position bias, which no block holds; to "
            "import the rest, leave the bias out") in message
    assert message.endswith("either changes what the model computes, so train or fine-tune "
                            "the design after")
