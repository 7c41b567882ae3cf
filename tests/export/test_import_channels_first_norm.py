"""ConvNeXt's own LayerNorm (facebookresearch/ConvNeXt, models/convnext.py) written out by hand
for data_format="channels_first" imports as one LayerNorm2d block with the module's weight and
bias, and its channels_last branch (F.layer_norm) as LayerNorm: a small ConvNeXt of that code
(stem, two stages, downsampling) imports with the same parameter count and outputs, and exports.
Before, the import stopped at ``Tensor.pow`` with a rewrite to suggest. A norm that differs from
LayerNorm (eps outside the root) is still refused with that rewrite."""

from __future__ import annotations

import pytest
import torch
from convnext_official import Block, LayerNorm
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class ConvNeXt(nn.Module):
    """models/convnext.py's ConvNeXt, two stages of widths 8 and 16."""

    def __init__(self, in_chans=3, num_classes=5, depths=(1, 2), dims=(8, 16)):
        super().__init__()
        self.downsample_layers = nn.ModuleList()
        stem = nn.Sequential(nn.Conv2d(in_chans, dims[0], kernel_size=4, stride=4),
                             LayerNorm(dims[0], eps=1e-6, data_format="channels_first"))
        self.downsample_layers.append(stem)
        for i in range(len(dims) - 1):
            self.downsample_layers.append(nn.Sequential(
                LayerNorm(dims[i], eps=1e-6, data_format="channels_first"),
                nn.Conv2d(dims[i], dims[i + 1], kernel_size=2, stride=2)))
        self.stages = nn.ModuleList(
            nn.Sequential(*[Block(dim=dims[i]) for _ in range(depths[i])])
            for i in range(len(dims)))
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        for i in range(len(self.stages)):
            x = self.downsample_layers[i](x)
            x = self.stages[i](x)
        return self.head(self.norm(x.mean([-2, -1])))


def _randomised(model: nn.Module) -> nn.Module:
    """Every parameter random (a norm's weight of ones and bias of zeros would hide a weight
    put in the wrong place), in evaluation mode."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return model.eval()


def _outputs_match(model, graph, weights, shape) -> float:
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 0.1
    return float((expected - got).abs().max())


def test_a_small_convnext_imports_exactly(tmp_path):
    model = _randomised(ConvNeXt())
    shape = (3, 32, 32)
    graph, weights = import_torch(model, shape)
    types = [n.type for n in graph.nodes]
    # the stem's and the downsampling layer's hand-written norms; the blocks' channels_last
    # F.layer_norm after a permute; layer scale gamma
    assert types.count("LayerNorm2d") == 2 and types.count("LayerNorm") == 4
    assert types.count("Scale") == 3 and "Subtract" not in types and "Divide" not in types
    norms = {n.id: n.params for n in graph.nodes if n.type == "LayerNorm2d"}
    assert norms == {"downsample_layers_0_1": {"eps": 1e-6},
                     "downsample_layers_1_0": {"eps": 1e-6}}
    assert weights["downsample_layers_1_0.weight"] == "downsample_layers.1.0.weight"
    assert weights["downsample_layers_1_0.bias"] == "downsample_layers.1.0.bias"
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 7_997
    assert sum(p.numel() for p in compile_graph(graph).parameters()) == count
    assert _outputs_match(model, graph, weights, shape) < 1e-5
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    for fmt, name in (("python", "convnext.py"), ("torchscript", "convnext.pt"),
                      ("onnx", "convnext.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state).max_abs_diff < 1e-4


class Norm(nn.Module):
    """The hand-written form with its variations: ``d * d`` or ``d ** 2``, no weights, a
    [B, C, L] sequence."""

    def __init__(self, channels: int, square: str = "pow", affine: bool = True, rank: int = 4):
        super().__init__()
        self.square, self.affine, self.eps = square, affine, 1e-5
        self.view = [-1] + [1] * (rank - 2)  # weight.view(-1, 1, 1) for [B, C, H, W]
        self.weight = nn.Parameter(torch.randn(channels)) if affine else None
        self.bias = nn.Parameter(torch.randn(channels)) if affine else None

    def forward(self, x):
        u = x.mean(dim=1, keepdim=True)
        d = x - u
        s = (d * d if self.square == "mul" else d ** 2).mean(1, keepdim=True)
        x = d / torch.sqrt(s + self.eps)
        if not self.affine:
            return x
        return x * self.weight.view(*self.view) + self.bias.view(*self.view)


@pytest.mark.parametrize(("norm", "shape", "blocks"), [
    (Norm(6, "mul"), (6, 5, 7), ["LayerNorm2d"]),
    (Norm(6, "pow", rank=3), (6, 9), ["Permute", "LayerNorm", "Permute"]),  # a [C, L] sequence
    (Norm(6, "pow", affine=False), (6, 5, 7), ["Permute", "LayerNorm", "Permute"]),
])
def test_variations_of_the_form_import_as_layernorm(norm, shape, blocks):
    model = nn.Sequential(nn.Conv2d(6, 6, 1) if len(shape) == 3 else nn.Conv1d(6, 6, 1),
                          norm, nn.ReLU()).eval()
    graph, weights = import_torch(model, shape)
    assert [n.type for n in graph.nodes][2:-2] == blocks
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert _outputs_match(model, graph, weights, shape) < 1e-5


def test_a_norm_that_is_not_layernorm_is_still_refused_with_the_rewrite():
    class EpsOutsideNorm(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))

        def forward(self, x):
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            x = (x - u) / (torch.sqrt(s) + 1e-6)
            return self.weight[:, None, None] * x + self.bias[:, None, None]

    with pytest.raises(GraphError) as caught:
        import_torch(nn.Sequential(nn.Conv2d(3, 4, 1), EpsOutsideNorm(4)), (3, 5, 5))
    message = str(caught.value)
    assert "cannot import Tensor.pow in 1 (EpsOutsideNorm): no LayerLoom block does this; fix: 1 " \
           "(EpsOutsideNorm) normalises by hand, not as LayerNorm does; ConvNeXt's LayerNorm over " \
           "the channels" in message
    assert "imports as one LayerNorm2d block with its weights" in message
