"""DeiT's distillation token and LeViT's batch norm over batch × tokens, written here in the style
of timm's own code: each imports with the same parameter count, the same outputs (on outputs of a
real scale), MACs equal to torch's own FLOP counter, and an ONNX file that gives the same
outputs; LeViT's norm also trains alike (its statistics are over the same B·N values)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch

# -- timm's DeiT (VisionTransformerDistilled), small -------------------------------------------


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=False)[0]


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformerDistilled(nn.Module):
    """timm.models.deit.VisionTransformerDistilled: a class token and a distillation token,
    two heads; training returns both, evaluation their mean. Tokens and heads start at zero."""

    def __init__(self, image=16, patch=4, dim=32, classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 2, dim))
        self.blocks = nn.Sequential(Block(dim, 4), Block(dim, 4))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        self.head_dist = nn.Linear(dim, classes)
        for head in (self.head, self.head_dist):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def forward_features(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1),
                       self.dist_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.blocks(x + self.pos_embed)
        return self.norm(x)

    def forward(self, x):
        x = self.forward_features(x)
        x, x_dist = x[:, 0], x[:, 1]
        x, x_dist = self.head(x), self.head_dist(x_dist)
        if self.training:
            return x, x_dist
        return (x + x_dist) / 2


# -- timm's LeViT, small -----------------------------------------------------------------------


class LinearNorm(nn.Module):
    """timm.models.levit.LinearNorm: a Linear, then BatchNorm1d over batch × tokens."""

    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim, bias=False)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x):
        x = self.linear(x)
        return self.bn(x.flatten(0, 1)).reshape_as(x)


class LevitMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.ln1 = LinearNorm(dim, hidden)
        self.act = nn.Hardswish()
        self.ln2 = LinearNorm(hidden, dim)

    def forward(self, x):
        return self.ln2(self.act(self.ln1(x)))


class NormLinear(nn.Module):
    """timm.models.levit.NormLinear: the head, BatchNorm1d then Linear."""

    def __init__(self, dim, classes):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim)
        self.linear = nn.Linear(dim, classes)

    def forward(self, x):
        return self.linear(self.bn(x))


class Levit(nn.Module):
    """A convolutional stem, residual token MLPs with batch × tokens norms, mean pooling and
    LeViT's distilled pair of heads (averaged at evaluation)."""

    def __init__(self, dim=16, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dim // 2, 3, 2, 1), nn.Hardswish(),
                                  nn.Conv2d(dim // 2, dim, 3, 2, 1))
        self.mlps = nn.ModuleList([LevitMlp(dim, 2 * dim), LevitMlp(dim, 2 * dim)])
        self.head = NormLinear(dim, classes)
        self.head_dist = NormLinear(dim, classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        for mlp in self.mlps:
            x = x + mlp(x)
        x = x.mean(1)
        x, x_dist = self.head(x), self.head_dist(x)
        if self.training:
            return x, x_dist
        return (x + x_dist) / 2


FAMILIES = {
    "deit-distilled": (VisionTransformerDistilled, {"ClassToken", "PositionalEmbedding",
                                                    "SequencePool", "Slice", "Concat"}),
    "levit": (Levit, {"Permute", "BatchNorm1d", "SequencePool", "Concat"}),
}
SHAPE = (3, 16, 16)


def _randomise(model: nn.Module) -> None:
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def _model_macs(model: nn.Module, x: torch.Tensor) -> int:
    model = copy.deepcopy(model).train()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2 // x.shape[0]


def _imported(family):
    cls, _ = FAMILIES[family]
    torch.manual_seed(0)
    model = cls().eval()
    _randomise(model)
    graph, weights = import_torch(model, SHAPE)
    return model, graph, weights, weights.apply(model.state_dict())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_import_deit_levit_exactly(family, tmp_path):
    model, graph, weights, state = _imported(family)
    assert FAMILIES[family][1] <= {n.type for n in graph.nodes}
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *SHAPE)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 1e-2 or family == "deit-distilled"  # zero heads
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-4)
    assert check_import(model, graph, state, SHAPE, weights=weights) < 1e-4
    products = sum(n.macs for n in summary.nodes if n.type.startswith(("Conv", "Linear",
                                                                        "MultiheadAttention")))
    scores = sum(2 * n.output_shape[0] ** 2 * n.output_shape[1] for n in summary.nodes
                 if n.type == "MultiheadAttention")
    # with the heads' averaging left out (it adds two tensors: no product)
    assert products == _model_macs(model, x) + scores
    result = export_model(graph, "onnx", tmp_path / f"{family}.onnx", state)
    assert result.max_abs_diff < 1e-4


def test_import_deit_two_tokens_and_two_heads_averaged():
    model, graph, weights, state = _imported("deit-distilled")
    by_id = {n.id: n for n in graph.nodes}
    into = {e.target: e.source for e in graph.edges}
    # x → dist token in front → cls token in front: [cls, dist, patches]
    assert by_id["dist_token"].type == by_id["cls_token"].type == "ClassToken"
    assert into["cls_token"] == "dist_token" and into["dist_token"] == "transpose"
    assert weights["cls_token.token"] == "cls_token"
    assert weights["dist_token.token"] == "dist_token"
    assert by_id["pos_embed"].params == {"max_len": 18}
    token = [n for n in graph.nodes if n.type == "Slice"]
    assert len(token) == 1 and token[0].params == {"dim": 0, "start": 1, "end": 2}
    # the mean of the two heads: bit for bit (a + b) / 2, once the tokens and heads are woken
    woken = copy.deepcopy(model)
    with torch.no_grad():
        for p in (woken.cls_token, woken.dist_token, woken.head.weight, woken.head_dist.weight):
            p.normal_()
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(woken.state_dict()), strict=True)
    x = torch.randn(3, *SHAPE)
    with torch.no_grad():
        assert torch.equal(compiled(x), woken(x))
    # a wrongly mapped distillation token is caught by the import's own check
    swapped = dict(state)
    swapped["dist_token.token"] = state["cls_token.token"] + 1.0
    with pytest.raises(GraphError):
        check_import(woken, graph, swapped, SHAPE, weights=None)


def test_import_levit_norm_trains_alike():
    """BatchNorm1d over [B·N, C] and over [B, C, N]: the same statistics, so a training step
    gives the same outputs and running statistics."""
    model, graph, weights, state = _imported("levit")
    names = [n.type for n in graph.nodes]
    assert names.count("Permute") == 1 + 2 * 4  # the stem's transpose; around each norm
    compiled = compile_graph(graph)
    compiled.load_state_dict(state, strict=True)
    model.train()
    compiled.train()
    x = torch.randn(8, *SHAPE)
    expected = model(x)
    got = compiled(x)
    torch.testing.assert_close(got, (expected[0] + expected[1]) / 2, atol=1e-5, rtol=1e-4)
    after = weights.apply(model.state_dict())
    for key, value in compiled.state_dict().items():
        torch.testing.assert_close(value, after[key], atol=1e-6, rtol=1e-5, msg=key)


def test_import_levit_flatten_of_the_batch_elsewhere_is_still_refused():
    class Flat(nn.Module):
        def forward(self, x):
            return x.flatten(0, 1) * 2

    with pytest.raises(GraphError, match=r"start_dim=0 flattens the batch"):
        import_torch(Flat(), (4, 3))

    class Divide(nn.Module):  # x / 3 is a Rescaling; a number over a tensor is refused
        def forward(self, x):
            return 3 / x

    with pytest.raises(GraphError, match=r"only \(a \+ b\) / 2, two tensors averaged"):
        import_torch(Divide(), (4,))
