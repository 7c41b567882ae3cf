"""A bias put together from parameters in forward, as timm's BEiT (and BEiT v2, data2vec)
writes its qkv bias: ``torch.cat((self.q_bias, self.k_bias, self.v_bias))`` for ``F.linear``.
No block computes its weights in forward; the refusal said "it joins along the batch
dimension", though no batch is there. It now says what the join is and what to do."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class BeitAttention(nn.Module):
    """timm.models.beit.Attention's projection: k's bias a zero buffer, never learned."""

    def __init__(self, dim=8):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.register_buffer("k_bias", torch.zeros(dim), persistent=False)
        self.v_bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        qkv_bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        return F.linear(input=x, weight=self.qkv.weight, bias=qkv_bias)


class Beit(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = BeitAttention()

    def forward(self, x):
        return self.attn(x)


def test_a_bias_joined_from_parameters_is_refused_saying_what_it_is():
    with pytest.raises(GraphError) as caught:
        import_torch(Beit(), (5, 8))
    message = str(caught.value)
    assert message.startswith("test_import_made_weights.py:")
    assert "cannot import torch.cat in attn (BeitAttention): it joins 3 tensors (attn.q_bias, " \
           "attn.k_bias, attn.v_bias) made from parameters and constants, not from the " \
           "model's input" in message
    assert "nn.Linear(dim, 3 * dim) with bias=True" in message
    assert "batch" not in message


def test_a_join_of_the_batch_itself_is_still_refused_as_such():
    class Doubled(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=0)

    with pytest.raises(GraphError, match="it joins along the batch dimension"):
        import_torch(Doubled(), (4,))
