"""GroupNorm layers with a forward of their own: timm's ``GroupNorm1`` (PoolFormer, MetaFormer)
calls ``F.group_norm`` on its own parameters, guided-diffusion's ``GroupNorm32`` casts with
``.float()`` and ``.type(x.dtype)``. Both stopped the import ("cannot import
torch.nn.functional.group_norm …: no LayerLoom block does this", "cannot import Tensor.type");
each now imports as a GroupNorm block with the layer's weights, exactly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class GroupNorm1(nn.GroupNorm):
    """timm.layers.GroupNorm1: one group, F.group_norm in its own forward."""

    def __init__(self, num_channels, **kwargs):
        super().__init__(1, num_channels, **kwargs)

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class PoolFormerBlock(nn.Module):
    """timm.models.metaformer's PoolFormer block: pooling as the token mixer, layer scales."""

    def __init__(self, dim):
        super().__init__()
        self.norm1 = GroupNorm1(dim)
        self.pool = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.layer_scale1 = nn.Parameter(torch.full((dim,), 0.5))
        self.norm2 = GroupNorm1(dim)
        self.mlp = nn.Sequential(nn.Conv2d(dim, 4 * dim, 1), nn.GELU(), nn.Conv2d(4 * dim, dim, 1))
        self.layer_scale2 = nn.Parameter(torch.full((dim,), 0.5))

    def forward(self, x):
        y = self.norm1(x)
        x = x + self.layer_scale1.view(1, -1, 1, 1) * (self.pool(y) - y)
        return x + self.layer_scale2.view(1, -1, 1, 1) * self.mlp(self.norm2(x))


class PoolFormer(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, 4)
        self.blocks = nn.Sequential(PoolFormerBlock(16), PoolFormerBlock(16))
        self.norm = GroupNorm1(16)
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        x = self.norm(self.blocks(self.stem(x)))
        return self.head(x.mean([-2, -1]))


class GroupNorm32(nn.GroupNorm):
    """guided-diffusion's normalisation: computed in float32, cast back."""

    def forward(self, x):
        return super().forward(x.float()).type(x.dtype)


class ResBlock(nn.Module):
    """guided-diffusion's ResBlock, without the timestep embedding."""

    def __init__(self, channels=16):
        super().__init__()
        self.in_layers = nn.Sequential(GroupNorm32(4, channels), nn.SiLU(),
                                       nn.Conv2d(channels, channels, 3, padding=1))
        self.out_layers = nn.Sequential(GroupNorm32(4, channels), nn.SiLU(), nn.Dropout(0.1),
                                        nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x):
        return x + self.out_layers(self.in_layers(x))


def _randomise_norms(model):
    generator = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.GroupNorm):
            m.weight.data = torch.rand(m.weight.shape, generator=generator) + 0.5
            m.bias.data = torch.randn(m.bias.shape, generator=generator)


@pytest.mark.parametrize("cls, shape", [(PoolFormer, (3, 16, 16)), (ResBlock, (16, 8, 8))])
def test_group_norm_layers_import_exactly(cls, shape, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    _randomise_norms(model)
    graph, weights = import_torch(model, shape)
    norms = [n for n in graph.nodes if n.type == "GroupNorm"]
    assert len(norms) == sum(isinstance(m, nn.GroupNorm) for m in model.modules())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    for fmt, suffix in (("python", "py"), ("torchscript", "pt"), ("onnx", "onnx")):
        assert export_model(graph, fmt, tmp_path / f"m.{suffix}", state).max_abs_diff < 1e-5


def test_poolformer_norms_keep_their_names_and_groups():
    graph, _ = import_torch(PoolFormer().eval(), (3, 16, 16))
    norms = {n.id: n.params for n in graph.nodes if n.type == "GroupNorm"}
    assert norms["blocks_0_norm1"] == {"num_groups": 1}  # eps and affine at their defaults
    assert set(norms) == {"blocks_0_norm1", "blocks_0_norm2", "blocks_1_norm1",
                          "blocks_1_norm2", "norm"}


def test_group_norm_with_a_scale_alone_is_refused_naming_the_line():
    class ScaleOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(8))

        def forward(self, x):
            return F.group_norm(x, 2, self.weight)

    with pytest.raises(GraphError, match=r"test_import_group_norm\.py:\d+: cannot import "
                                         r"torch\.nn\.functional\.group_norm in ScaleOnly"
                                         r"\.forward: a scale without a shift"):
        import_torch(ScaleOnly(), (8, 4, 4))
