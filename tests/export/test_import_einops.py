"""Models written with einops, as vit-pytorch's and the MLP-Mixer papers' code writes them
(``Rearrange`` layers, ``rearrange``/``repeat``/``reduce`` calls): torch.fx could not trace
them (einops picks its recipe by ``x.ndim``), so each import stopped with "cannot be traced".
Each now imports as Reshape, Permute and Reduce blocks with the model's exact parameter count,
its outputs to 1e-5, at other input sizes too, and exports to code, TorchScript and ONNX."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch

einops = pytest.importorskip("einops")
from einops import rearrange, reduce, repeat  # noqa: E402
from einops.layers.torch import Rearrange, Reduce  # noqa: E402


class MixerBlock(nn.Module):
    """MLP-Mixer's block: token mixing across patches (transposed with Rearrange)."""

    def __init__(self, dim, patches, token_dim, channel_dim):
        super().__init__()
        self.token_mix = nn.Sequential(
            nn.LayerNorm(dim), Rearrange("b n d -> b d n"), nn.Linear(patches, token_dim),
            nn.GELU(), nn.Linear(token_dim, patches), Rearrange("b d n -> b n d"))
        self.channel_mix = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, channel_dim),
                                         nn.GELU(), nn.Linear(channel_dim, dim))

    def forward(self, x):
        x = x + self.token_mix(x)
        return x + self.channel_mix(x)


class MLPMixer(nn.Module):
    def __init__(self, dim=32, patch=4, image=16, classes=10):
        super().__init__()
        patches = (image // patch) ** 2
        self.to_patch_embedding = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch, p2=patch),
            nn.Linear(patch * patch * 3, dim))
        self.mixer_blocks = nn.ModuleList([MixerBlock(dim, patches, 16, 64) for _ in range(2)])
        self.layer_norm = nn.LayerNorm(dim)
        self.head = nn.Sequential(Reduce("b n d -> b d", "mean"), nn.Linear(dim, classes))

    def forward(self, x):
        x = self.to_patch_embedding(x)
        for block in self.mixer_blocks:
            x = block(x)
        return self.head(self.layer_norm(x))


class Attention(nn.Module):
    """vit-pytorch's attention: q, k, v split with rearrange."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        qkv = self.to_qkv(self.norm(x)).chunk(3, dim=-1)
        q, k, v = (rearrange(t, "b n (h d) -> b h n d", h=self.heads) for t in qkv)
        attn = (torch.matmul(q, k.transpose(-1, -2)) * self.scale).softmax(dim=-1)
        return self.to_out(rearrange(torch.matmul(attn, v), "b h n d -> b n (h d)"))


class ViT(nn.Module):
    """vit-pytorch's ViT: patches by Rearrange, a class token by einops.repeat."""

    def __init__(self, dim=32, patch=4, image=16, classes=10):
        super().__init__()
        self.to_patch_embedding = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch, p2=patch),
            nn.LayerNorm(patch * patch * 3), nn.Linear(patch * patch * 3, dim), nn.LayerNorm(dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.attention = Attention(dim, 4)
        self.mlp_head = nn.Linear(dim, classes)

    def forward(self, img):
        x = self.to_patch_embedding(img)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, "1 1 d -> b 1 d", b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x = x + self.pos_embedding[:, :(n + 1)]
        x = self.attention(x) + x
        return self.mlp_head(x[:, 0])


class ChannelsLastNorm(nn.Module):
    """A LayerNorm over the channels of NCHW maps, the axes moved with einops.rearrange, and a
    global pool written with einops.reduce."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = rearrange(self.conv(x), "b c h w -> b h w c")
        x = rearrange(self.norm(x), "b h w c -> b c h w")
        return self.fc(reduce(x, "b c h w -> b c", "max"))


MODELS = {  # each model, and blocks its einops calls become
    "mlp-mixer": (MLPMixer, {"Reshape", "Permute", "AdaptiveAvgPool1d"}),
    "vit": (ViT, {"Permute", "ClassToken"}),
    "channels-last-norm": (ChannelsLastNorm, {"LayerNorm2d", "Reduce"}),  # permutes fused
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_einops_model_imports_exactly(name, tmp_path):
    torch.manual_seed(0)
    cls, blocks = MODELS[name]
    model = cls().eval()
    graph, weights = import_torch(model, (3, 16, 16))
    assert blocks <= {n.type for n in graph.nodes}
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 1e-2
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert check_import(model, graph, state, (3, 16, 16), weights=weights) < 1e-5
    for fmt, suffix in (("python", "py"), ("torchscript", "pt"), ("onnx", "onnx")):
        result = export_model(graph, fmt, tmp_path / f"{name}.{suffix}", state)
        assert result.max_abs_diff < 1e-5, fmt


def test_einops_sizes_follow_the_input():
    """The patch grid is read from the input (``h // p1``), not fixed at the traced size."""
    model = ChannelsLastNorm().eval()
    graph, weights = import_torch(model, (3, 16, 16))
    assert check_import(model, graph, weights.apply(model.state_dict()), (3, 12, 20)) < 1e-5


def test_einops_block_names_follow_the_module():
    graph, _ = import_torch(MLPMixer().eval(), (3, 16, 16))
    ids = [n.id for n in graph.nodes]
    assert any(i.startswith("to_patch_embedding") for i in ids)
    assert any(i.startswith("mixer_blocks_0_token_mix") for i in ids), ids


def test_einops_merging_the_batch_is_refused_naming_the_line():
    class Folded(nn.Module):
        def forward(self, x):
            return rearrange(x, "b n d -> (b n) d")  # the batch merged with the tokens

    with pytest.raises(GraphError, match=r"test_import_einops\.py:\d+: cannot import "
                                         r"einops\.rearrange\(x, 'b n d -> \(b n\) d'\) "
                                         r"\(its Tensor\.reshape\) in Folded\.forward: .*"
                                         r"moving the batch dimension"):
        import_torch(Folded(), (5, 8))
