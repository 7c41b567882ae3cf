"""Attention written with ``torch.einsum`` imports as the permutes and batched matrix products
it computes (Permute and MatMul blocks): lucidrains' ViT writes ``einsum('b h i d, b h j d ->
b h i j', q, k)`` and ``einsum('b h i j, b h j d -> b h i d', attn, v)``, x-transformers
``'... i d, ... j d -> ... i j'``, and code that keeps the heads after the length
``'bqhd,bkhd->bhqk'`` and ``'bhqk,bkhd->bqhd'``. The parameter count and the outputs are the
model's, at another length too, and the design exports as code, TorchScript and ONNX that
match. Before, the import stopped at "cannot import torch.einsum ...: no LayerLoom block does
this"."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class HeadsFirst(nn.Module):  # lucidrains' vit-pytorch Attention, without einops
    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 3)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(b, n, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        dots = torch.einsum("b h i d, b h j d -> b h i j", q, k) * self.scale
        attn = dots.softmax(dim=-1)
        out = torch.einsum("b h i j, b h j d -> b h i d", attn, v)
        out = out.transpose(1, 2).reshape(b, n, d)
        return self.head(self.to_out(out).mean(dim=1))


class Ellipsis(HeadsFirst):  # the leading dimensions as '...' (lucidrains' x-transformers)
    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(b, n, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        attn = (torch.einsum("... i d, ... j d -> ... i j", q, k) * self.scale).softmax(-1)
        out = torch.einsum("... i j, ... j d -> ... i d", attn, v)
        return self.head(self.to_out(out.transpose(1, 2).reshape(b, n, d)).mean(dim=1))


class HeadsAfterLength(nn.Module):  # q, k, v kept [B, L, H, D]
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = (f(x).view(b, n, self.heads, d // self.heads) for f in (self.q, self.k, self.v))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / (d // self.heads) ** 0.5
        out = torch.einsum("bhqk,bkhd->bqhd", scores.softmax(-1), v)
        return self.out(out.reshape(b, n, d))


@pytest.mark.parametrize("cls, params", [(HeadsFirst, 1091), (Ellipsis, 1091),
                                         (HeadsAfterLength, 1088)])
def test_einsum_attention_imports_as_permutes_and_matmuls(cls, params, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    graph, weights = import_torch(model, (6, 16))
    types = [n.type for n in graph.nodes]
    assert types.count("MatMul") == 2
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == params
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 6, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, (6, 16), weights=weights) < 1e-5
    other = check_other_size(model, graph, state, [(6, 16)], ["float32"])
    assert other.shapes == [(11, 16)] and other.warning is None
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_an_einsum_that_is_no_matrix_product_is_refused_naming_it():
    class Outer(nn.Module):
        def forward(self, x):
            return torch.einsum("bi,bj->bij", x, x)

    with pytest.raises(GraphError, match=r"torch\.einsum.*'bi,bj->bij' is no batched matrix product"):
        import_torch(Outer(), (5,))
