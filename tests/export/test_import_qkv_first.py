"""timm's attention, whose q, k and v are split by ``qkv.reshape(B, N, 3, H, D).permute(2, 0, 3,
1, 4)`` (a permute that moves the batch) and then ``unbind(0)`` or ``qkv[0], qkv[1], qkv[2]``,
imports as the same attention written with the batch first (``chunk(3, dim=-1)``, then
``view(B, N, H, D).transpose(1, 2)`` for each): Chunk, Unflatten and Permute blocks, the same
weights and outputs, at the traced size and at another. The permute of anything else is still
refused."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class Attention(nn.Module):
    """timm.models.vision_transformer.Attention (without its optional norms and dropouts)."""

    def __init__(self, dim, num_heads, indexed=False):
        super().__init__()
        self.num_heads, self.indexed = num_heads, indexed
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(
            2, 0, 3, 1, 4)
        if self.indexed:
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Block(nn.Module):
    """timm's ViT Block: pre-norm attention and MLP, each with a residual."""

    def __init__(self, dim=16, num_heads=2, indexed=False):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, indexed)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """A small timm-style ViT: patch embedding by a strided conv, a class token, learned
    positions, Blocks of 4 heads, the class token's features to the head."""

    def __init__(self, image=16, patch=4, dim=32, classes=10, indexed=False):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*(Block(dim, 4, indexed) for _ in range(2)))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.norm(self.blocks(x + self.pos_embed))
        return self.head(x[:, 0])


def _imports_exactly(model: nn.Module, shape, other: bool = True):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, shape)
    types = [n.type for n in graph.nodes]
    assert "Chunk" in types and "Permute" in types
    state = weights.apply(model.state_dict())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 1e-2
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert check_import(model, graph, state, shape, weights=weights) <= 1e-5
    if other:
        size = check_other_size(model, graph, state, [tuple(shape)])
        assert size.shapes is not None and size.warning is None, size
        assert size.diff <= 1e-5
    return graph


@pytest.mark.parametrize("indexed", [False, True], ids=["unbind", "getitem"])
@pytest.mark.parametrize("heads", [2, 4])
def test_timm_block_imports(indexed, heads):
    _imports_exactly(Block(16, heads, indexed), (5, 16))


@pytest.mark.parametrize("indexed", [False, True], ids=["unbind", "getitem"])
def test_timm_vit_imports(indexed):
    # the learned positions are for 16 x 16 images only: no other size
    graph = _imports_exactly(ViT(indexed=indexed), (3, 16, 16), other=False)
    assert sum(n.type == "Chunk" for n in graph.nodes) == 2


class NotUnbound(nn.Module):
    """The same permute, its result used whole (not split into q, k and v)."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, 2, 4).permute(2, 0, 3, 1, 4)
        return qkv.sum(0).transpose(1, 2).reshape(B, N, C)


class NotThree(nn.Module):
    """A reshape whose third dimension is not 3, then the same permute and unbind."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 16)

    def forward(self, x):
        B, N, C = x.shape
        qk = self.qkv(x).reshape(B, N, 2, 2, 4).permute(2, 0, 3, 1, 4)
        q, k = qk.unbind(0)
        return (q @ k.transpose(-2, -1)).softmax(dim=-1).sum(1)


@pytest.mark.parametrize("model", [NotUnbound(), NotThree()], ids=["not-unbound", "not-three"])
def test_other_batch_moving_permutes_are_still_refused(model):
    with pytest.raises(GraphError) as info:
        import_torch(model.eval(), (5, 8))
    message = str(info.value)
    assert f"cannot import Tensor.permute in {type(model).__name__}.forward: dims [2, 0, 3, 1, " \
        "4] move the batch dimension" in message, message
    assert "fix: split q, k and v with q, k, v = self.qkv(x).chunk(3, dim=-1)" in message
