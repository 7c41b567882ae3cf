"""Attention written out with a mask on its scores, as public model code writes it: BERT's
original ``scores + (1.0 - mask.float()) * -10000.0``, Hugging Face's ``.to(dtype)`` and
``torch.finfo(dtype).min``, the Annotated Transformer's ``scores.masked_fill(mask == 0, -1e9)``
with a mask cast by ``.float()``, LLaMA's causal ``F.softmax(scores.float(), -1).type_as(q)``.
A padding mask of the ids imports as a PaddingMask feeding a ScaledDotProductAttention block
(padded batches give the model's numbers), a causal one as ``is_causal``. Before, each stopped
at the mask's comparison or cast ("cannot import operator.gt", "it casts torch.bool to
torch.float32") or at the causal buffer. A mask no block takes is refused saying what it is. A module without weights made in forward
(``nn.Softmax(dim=-1)(scores)``) is traced through; fx stopped at it ("not installed as a
submodule")."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import import_torch


class SelfAttention(nn.Module):
    def __init__(self, vocab=50, d=16, heads=2, classes=3):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, d)
        self.heads, self.head_size = heads, d // heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(d, classes)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.heads, self.head_size)
        return x.view(new_x_shape).permute(0, 2, 1, 3)

    def qkv(self, ids):
        hidden = self.embeddings(ids)
        return hidden, [self.transpose_for_scores(f(hidden))
                        for f in (self.query, self.key, self.value)]

    def finish(self, context):
        context = context.permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size()[:-2] + (self.heads * self.head_size,))
        return self.classifier(context[:, 0])


class BertOriginal(SelfAttention):
    """pytorch-pretrained-BERT's ``BertSelfAttention``: the extended mask cast with
    ``.float()``, the softmax a module made in forward."""

    def forward(self, input_ids):
        attention_mask = (input_ids > 0).long()
        extended = attention_mask.unsqueeze(1).unsqueeze(2).float()
        extended = (1.0 - extended) * -10000.0
        _, (q, k, v) = self.qkv(input_ids)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        scores = scores + extended
        probs = self.dropout(nn.Softmax(dim=-1)(scores))  # a module made in forward
        return self.finish(torch.matmul(probs, v))


class HuggingFaceCast(SelfAttention):
    """transformers' ``get_extended_attention_mask``: ``.to(dtype)`` and ``finfo.min``."""

    def forward(self, input_ids):
        hidden, (q, k, v) = self.qkv(input_ids)
        mask = (input_ids != 0)[:, None, None, :].to(dtype=hidden.dtype)
        mask = (1.0 - mask) * torch.finfo(hidden.dtype).min
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
        return self.finish(torch.matmul(F.softmax(scores, dim=-1), v))


def attention(query, key, value, mask=None, dropout=None):
    """The Annotated Transformer's."""
    d_k = query.size(-1)
    scores = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    p_attn = scores.softmax(dim=-1)
    if dropout is not None:
        p_attn = dropout(p_attn)
    return torch.matmul(p_attn, value), p_attn


class AnnotatedFloatMask(SelfAttention):
    def forward(self, src):
        src_mask = (src != 0).unsqueeze(-2).float()  # [B, 1, L], cast as a float mask
        _, (q, k, v) = self.qkv(src)
        x, self.attn = attention(q, k, v, mask=src_mask.unsqueeze(1), dropout=self.dropout)
        return self.finish(x)


class LlamaCausal(SelfAttention):
    """Meta's llama: the scores cast to float for the softmax, then back."""

    def __init__(self):
        super().__init__()
        self.register_buffer("bias", torch.tril(torch.ones(32, 32)).view(1, 1, 32, 32))

    def forward(self, tokens):
        _, (xq, xk, xv) = self.qkv(tokens)
        T = tokens.size(1)
        scores = torch.matmul(xq, xk.transpose(2, 3)) / math.sqrt(self.head_size)
        scores = scores.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        scores = F.softmax(scores.float(), dim=-1).type_as(xq)
        return self.finish(torch.matmul(scores, xv))


class WindowAdded(SelfAttention):
    """A sliding window of 2 steps either side, added to the scores."""

    def forward(self, ids):
        _, (q, k, v) = self.qkv(ids)
        i = torch.arange(ids.size(1), device=ids.device)
        far = ((i[:, None] - i[None, :]).abs() > 2).float() * -1e9
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_size) + far
        return self.finish(scores.softmax(-1) @ v)


def _padded_ids():
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 50, (4, 8), generator=generator)
    ids[0, 5:] = 0
    ids[1, 1:3] = 0
    ids[2, 6:] = 0
    return ids


@pytest.mark.parametrize("cls, padding, causal, dropout", [
    (BertOriginal, 1, False, 0.1), (HuggingFaceCast, 1, False, 0.0),
    (AnnotatedFloatMask, 1, False, 0.1), (LlamaCausal, 0, True, 0.0)])
def test_a_mask_on_written_out_scores_imports_as_the_attention_block(cls, padding, causal,
                                                                      dropout):
    torch.manual_seed(0)
    model = cls().eval()
    graph, weights = import_torch(model, (8,), "int64")
    [block] = [n for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert bool(block.params.get("is_causal", False)) is causal
    assert block.params.get("dropout", 0.0) == pytest.approx(dropout)
    assert len([n for n in graph.nodes if n.type == "PaddingMask"]) == padding
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    ids = _padded_ids()
    with torch.no_grad():
        want, got = model(ids), compiled(ids)
    assert want.abs().max() > 0.1
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_a_window_added_to_the_scores_is_refused_saying_what_it_is():
    with pytest.raises(GraphError, match=r"WindowAdded\.forward.*it keeps fixed positions "
                                         r"that are neither every one nor the causal ones"):
        import_torch(WindowAdded().eval(), (8,), "int64")


class LayerMadeInForward(nn.Module):
    def forward(self, x):
        return nn.Linear(4, 4)(x)


def test_a_layer_with_weights_made_in_forward_is_still_refused_at_its_line():
    with pytest.raises(GraphError, match=r"it makes nn\.Linear\(in_features=4, out_features=4, "
                                         r"bias=True\), a layer with weights, inside forward, "
                                         r"so its weights are drawn anew at every call.*"
                                         r"`return nn\.Linear\(4, 4\)\(x\)`"):
        import_torch(LayerMadeInForward(), (4,))
