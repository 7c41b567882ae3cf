"""What some attention code subtracts from its scores rather than adds: a padding mask as
``scores - (1.0 - mask) * 1e9`` and a causal one as ``scores - 1e4 * (1 - tril)`` import as the
masks added (a PaddingMask feeding a ScaledDotProductAttention block, ``is_causal``), since
``scores - m`` is ``scores + (-m)``; a bias subtracted (a learned one, ALiBi's distances times
the slopes) is refused naming the subtraction and saying what imports.

Before, each was refused with the Normalize block's message, which fits none of them
("'bias' is a learned parameter, and Normalize holds fixed values"), or the subtraction's
("no LayerLoom block does this")."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class Attention(nn.Module):
    """One head group of self-attention written out, its scores put through ``penalty``."""

    def __init__(self, d=16, heads=2, length=8):
        super().__init__()
        self.heads, self.length = heads, length
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def attend(self, x, penalty):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(k.size(-1))
        scores = penalty(scores)
        y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class PaddedClassifier(Attention):
    """Token ids with 0 as padding: the padded keys' scores lowered by 1e9."""

    def __init__(self, vocab=30, d=16):
        super().__init__(d)
        self.embed, self.head = nn.Embedding(vocab, d), nn.Linear(d, 3)

    def forward(self, ids):
        mask = (ids != 0).float()[:, None, None, :]
        y = self.attend(self.embed(ids), lambda scores: scores - (1.0 - mask) * 1e9)
        return self.head(y[:, 0])


class CausalSubtracted(Attention):
    """A causal mask kept as a buffer of ones below the diagonal, the future subtracted."""

    def __init__(self, d=16, length=8):
        super().__init__(d, length=length)
        self.register_buffer("tril", torch.tril(torch.ones(length, length)))

    def forward(self, x):
        T = x.size(1)
        return self.attend(x, lambda s: s - 1e4 * (1 - self.tril[:T, :T]))


class LearnedBias(Attention):
    """A learned bias per head and pair of steps, subtracted."""

    def __init__(self, d=16, length=8):
        super().__init__(d, length=length)
        self.bias = nn.Parameter(torch.randn(1, self.heads, length, length) * 0.1)

    def forward(self, x):
        return self.attend(x, lambda scores: scores - self.bias)


class ALiBiSubtracted(Attention):
    """ALiBi as a distance penalty: slope * |i - j| subtracted from the scores."""

    def __init__(self, d=16, length=8):
        super().__init__(d, length=length)
        pos = torch.arange(length)
        distance = (pos[None, :] - pos[:, None]).abs().float()
        slopes = torch.tensor([2.0 ** -(8 * (h + 1) / self.heads) for h in range(self.heads)])
        self.register_buffer("alibi", slopes[:, None, None] * distance)

    def forward(self, x):
        T = x.size(1)
        return self.attend(x, lambda scores: scores - self.alibi[:, :T, :T])


def _same(model, shape, dtype):
    """The design of ``model``: its parameter count, output shape and outputs the model's."""
    graph, weights = import_torch(model, shape, dtype)
    state = weights.apply(model.state_dict())
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    x = torch.randint(1, 30, (2, *shape)) if dtype == "int64" else torch.randn(2, *shape)
    with torch.no_grad():
        assert list(summary.nodes[-1].output_shape) == list(model(x).shape[1:])
    assert check_import(model, graph, state, shape, dtype, weights=weights) < 1e-5
    return graph, state


def test_a_padding_mask_subtracted_imports_as_the_mask_added():
    torch.manual_seed(0)
    model = PaddedClassifier().eval()
    graph, state = _same(model, (8,), "int64")
    types = [n.type for n in graph.nodes]
    assert "PaddingMask" in types and "ScaledDotProductAttention" in types
    assert "Subtract" not in types
    # padded batches: the design gives the model's numbers where the padding is
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state)
    ids = torch.randint(1, 30, (4, 8))
    ids[0, 5:], ids[2, 2:] = 0, 0
    with torch.no_grad():
        assert torch.allclose(compiled(ids), model(ids), atol=1e-5)


def test_a_causal_mask_subtracted_imports_as_causal_attention():
    torch.manual_seed(0)
    graph, _ = _same(CausalSubtracted().eval(), (8, 16), "float32")
    attention = [n for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert len(attention) == 1 and attention[0].params.get("is_causal") is True


@pytest.mark.parametrize("model, named", [(LearnedBias, "the learned bias 'bias' [1, 2, 8, 8]"),
                                          (ALiBiSubtracted, "ALiBi's distances")])
def test_a_bias_subtracted_is_refused_naming_the_subtraction(model, named):
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), (8, 16))
    message = str(caught.value)
    assert "cannot import operator.sub" in message
    assert "subtracts values other than 0 and inf" in message and "(scores - bias)" in message
    assert named in message
    assert "leave it out, or write such a mask" in message
    assert "Normalize" not in message
    assert "test_import_subtracted_scores.py:" in message  # the line that subtracts
