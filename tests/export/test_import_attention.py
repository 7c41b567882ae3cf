"""Attention written by hand imports as it is written: q, k and v split with ``chunk``/``split``
(or three Linears), heads made with ``.view(B, L, H, D).transpose(1, 2)`` (Unflatten, Permute),
``q @ k.transpose(-2, -1)`` (MatMul) scaled by a number (Rescaling: ``* self.scale``,
``/ math.sqrt(D)``, ``* (1.0 / math.sqrt(k.size(-1)))``), ``softmax``, ``@ v``, the heads joined
back with ``.transpose(1, 2).reshape(B, L, C)`` (Permute, Flatten), and
``F.scaled_dot_product_attention`` (the ScaledDotProductAttention block, causal too). No size of
the traced sequence is kept, so the graph runs at another length with the model's outputs. What
still does not import is refused at its file and line with the rewrite."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch


class Attention(nn.Module):
    """As timm's and many tutorials' Attention, with q, k and v split by chunk."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, L, C = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(B, L, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, L, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, L, self.heads, C // self.heads).transpose(1, 2)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(B, L, C)
        return self.proj(out)


class ThreeLinears(nn.Module):
    """A tutorial's: separate query, key and value layers, torch.matmul, / math.sqrt(D)."""

    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.query, self.key, self.value = (nn.Linear(dim, dim) for _ in range(3))
        self.out = nn.Linear(dim, dim)

    def split(self, t, batch, length):
        return t.view(batch, length, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x):
        batch, length, dim = x.size()
        q = self.split(self.query(x), batch, length)
        k = self.split(self.key(x), batch, length)
        v = self.split(self.value(x), batch, length)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        weights = F.softmax(scores, dim=-1)
        context = torch.matmul(weights, v).permute(0, 2, 1, 3).contiguous()
        return self.out(context.view(batch, length, dim))


class CausalSelfAttention(nn.Module):
    """nanoGPT's, with flash attention: split, F.scaled_dot_product_attention(is_causal=True)."""

    def __init__(self, n_embd=16, n_head=2, dropout=0.1):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout, self.resid_dropout = nn.Dropout(dropout), nn.Dropout(dropout)
        self.n_head, self.n_embd, self.dropout = n_head, n_embd, dropout

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                           dropout_p=self.dropout if self.training else 0,
                                           is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class SizeScaled(Attention):
    """nanoGPT's slow path without a mask: the scale computed from a size in forward."""

    def forward(self, x):
        B, L, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, L, self.heads, -1).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        return self.proj((F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(B, L, C))


class OneHead(nn.Module):
    """Attention without heads on [B, L, D]: a block of a Transformer written by hand."""

    def __init__(self, dim=8):
        super().__init__()
        self.q, self.k = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.fc = nn.Linear(dim, 2)

    def forward(self, h):
        scores = self.q(h) @ self.k(h).transpose(-2, -1) / math.sqrt(8)
        return self.fc((torch.softmax(scores, -1) @ h).mean(1))


class FlashOneHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return F.scaled_dot_product_attention(q, k, v, scale=0.25)


HEADS = ["Unflatten", "Permute"] * 3  # q, k and v each split into heads
CASES = {
    "chunk": (Attention, ["Linear", "Chunk"] + HEADS + [
        "Permute", "MatMul", "Rescaling", "Softmax", "MatMul", "Permute", "Flatten", "Linear"]),
    "three-linears": (ThreeLinears, ["Linear", "Unflatten", "Permute", "Linear", "Unflatten",
                                     "Permute", "Linear", "Unflatten", "Permute", "Permute",
                                     "MatMul", "Rescaling", "Softmax", "MatMul", "Permute",
                                     "Flatten", "Linear"]),
    "nanogpt-flash": (CausalSelfAttention, ["Linear", "Chunk"] + [
        "Unflatten", "Permute", "Unflatten", "Permute", "Unflatten", "Permute",
        "ScaledDotProductAttention", "Permute", "Flatten", "Linear", "Dropout"]),
    "size-scaled": (SizeScaled, ["Linear", "Chunk"] + HEADS + [
        "Permute", "MatMul", "Rescaling", "Softmax", "MatMul", "Permute", "Flatten", "Linear"]),
    "one-head": (OneHead, ["Linear", "Linear", "Permute", "MatMul", "Rescaling", "Softmax",
                           "MatMul", "SequencePool", "Linear"]),
    "flash-one-head": (FlashOneHead, ["Linear", "Chunk", "ScaledDotProductAttention"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hand_written_attention_imports_as_written_and_runs_at_another_length(
        name, imported_round_trip, tmp_path):
    make, blocks = CASES[name]
    torch.manual_seed(0)
    model = make()
    width = 8 if name in ("one-head", "flash-one-head") else 16
    graph, _ = imported_round_trip(model, [5, width], tmp_path, other_shape=[9, width])
    assert [n.type for n in graph.nodes if n.type not in ("Input", "Output")] == blocks
    types = {n.type for n in graph.nodes}
    assert "Reshape" not in types  # no block holds the traced length, 5


def test_the_blocks_hold_the_models_settings():
    torch.manual_seed(0)
    graph, weights = import_torch(Attention(), (5, 16))
    params = {n.id: (n.type, n.params) for n in graph.nodes}
    assert params["chunk"] == ("Chunk", {"chunks": 3, "dim": 1})
    assert params["view"] == ("Unflatten", {"dim": 1, "sizes": [2, 8]})
    assert params["transpose"] == ("Permute", {"dims": [1, 0, 2]})
    assert params["transpose_3"] == ("Permute", {"dims": [0, 2, 1]})
    assert params["mul"] == ("Rescaling", {"scale": 8 ** -0.5, "offset": 0.0})
    assert params["reshape"] == ("Flatten", {"start_dim": 1})
    into = {(e.source, e.target): e.port for e in graph.edges if e.target.startswith("matmul")}
    assert into == {("transpose", "matmul"): "left", ("transpose_3", "matmul"): "right",
                    ("softmax", "matmul_1"): "left", ("transpose_2", "matmul_1"): "right"}
    assert sorted(weights) == ["proj.bias", "proj.weight", "qkv.bias", "qkv.weight"]
    graph, _ = import_torch(CausalSelfAttention().eval(), (5, 16))
    sdpa = next(n for n in graph.nodes if n.type == "ScaledDotProductAttention")
    assert sdpa.params == {"is_causal": True}
    assert [(e.source, e.port) for e in graph.edges if e.target == sdpa.id] == [
        ("transpose_1", "query"), ("transpose", "key"), ("transpose_2", "value")]


def test_the_causal_block_masks_the_future():
    """A later position changed: the causal block's earlier outputs stay as they were."""
    torch.manual_seed(0)
    model = CausalSelfAttention(dropout=0.0).eval()
    graph, weights = import_torch(model, (6, 16))
    from layerloom.graph import compile_graph

    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(2, 6, 16)
    changed = x.clone()
    changed[:, 4:] = torch.randn(2, 2, 16)
    with torch.no_grad():
        a, b = compiled(x), compiled(changed)
    torch.testing.assert_close(a[:, :4], b[:, :4])
    assert (a[:, 4:] - b[:, 4:]).abs().max() > 1e-3


class NanoGPTMasked(nn.Module):
    """nanoGPT's attention without flash: a causal mask buffer sliced to the length."""

    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(16, 48)
        self.register_buffer("bias", torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(16, dim=2)
        q, k, v = (t.view(B, T, 2, 8).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        return (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)


def test_nanogpts_masked_attention_imports_as_causal_attention():
    """The sliced tril mask, filled with -inf before the softmax, is is_causal=True (it was
    refused at its ``== 0`` before; tests/export/test_import_gpt2.py has GPT-2's form)."""
    torch.manual_seed(0)
    model = NanoGPTMasked().eval()
    graph, weights = import_torch(model, (8, 16))
    sdpa = [n for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert [n.params for n in sdpa] == [{"is_causal": True, "scale": 1 / math.sqrt(8)}]
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (8, 16), weights=weights) < 1e-5


class DroppedAlways(nn.Module):
    def forward(self, x):
        return F.scaled_dot_product_attention(x, x, x, dropout_p=0.1)  # dropped-always


class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.rand(8, 8) > 0.5)

    def forward(self, x):
        return F.scaled_dot_product_attention(x, x, x, attn_mask=self.mask)  # attn-mask


@pytest.mark.parametrize("model, marker, message", [
    (DroppedAlways(), "dropped-always",
     "{where}: cannot import torch.nn.functional.scaled_dot_product_attention in "
     "DroppedAlways.forward: dropout_p=0.1 drops attention weights in evaluation too; pass "
     "dropout_p=self.dropout if self.training else 0.0 (the block's dropout applies while "
     "training)"),
    (Masked(), "attn-mask",
     "{where}: cannot import torch.nn.functional.scaled_dot_product_attention in "
     "Masked.forward: its attn_mask: it keeps fixed positions that are neither every one nor "
     "the causal ones (each step and those before it): a window or a pattern of positions, "
     "which no block takes. Of masks, one that keeps every step, the causal one (or "
     "is_causal=True) and a padding mask from token ids ((ids != pad_id)[:, None, None, :], "
     "with or without the causal steps) import; fix: give such a mask, or none"),
], ids=["dropped-always", "attn-mask"])
def test_what_does_not_import_is_refused_at_its_line(model, marker, message, line_of):
    where = line_of(marker)
    with pytest.raises(GraphError) as caught:
        import_torch(model, (8, 16))
    expected = message.format(where=where, line=where.rpartition(":")[2])
    assert str(caught.value).startswith(expected), str(caught.value)
