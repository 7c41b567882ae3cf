"""Model families written here in the style of torchvision's and timm's own code (neither can be
imported beside the CPU torch): each imports with the same parameter count, the same outputs on
outputs of a real scale, MACs equal to torch's own FLOP counter, and an ONNX file that gives
the same outputs."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from shufflenet_parts import ShuffleUnit
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


# -- pieces of timm ----------------------------------------------------------------------------

class BatchNormAct2d(nn.BatchNorm2d):
    """timm.layers.BatchNormAct2d: batch norm and activation, with a forward of its own."""

    def __init__(self, num_features, act=True):
        super().__init__(num_features)
        self.drop = nn.Identity()
        self.act = nn.ReLU(inplace=True) if act else nn.Identity()

    def forward(self, x):
        if self.momentum is None:
            exponential_average_factor = 0.0
        else:
            exponential_average_factor = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        x = F.batch_norm(x, self.running_mean if not self.training or self.track_running_stats
                         else None, self.running_var if not self.training
                         or self.track_running_stats else None, self.weight, self.bias,
                         bn_training, exponential_average_factor, self.eps)
        return self.act(self.drop(x))


class TimmLinear(nn.Linear):
    """timm.layers.Linear: casts its weights in its own forward."""

    def forward(self, x):
        bias = self.bias.to(dtype=x.dtype) if self.bias is not None else None
        return F.linear(x, self.weight.to(dtype=x.dtype), bias=bias)


class TimmLayerNorm(nn.LayerNorm):
    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class LayerNorm2d(nn.LayerNorm):
    """timm.layers.LayerNorm2d (torchvision's is the same): channels-first LayerNorm."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth."""

    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype).bernoulli_(1 - self.p)
        return x * noise / (1 - self.p)


class Permute(nn.Module):
    """torchvision.ops.misc.Permute."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)


# -- families ---------------------------------------------------------------------------------

class TimmBasicBlock(nn.Module):
    """timm's ResNet block (BatchNormAct2d), with a ResNet-D average-pool shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = BatchNormAct2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = BatchNormAct2d(cout, act=False)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False),
                nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.bn2(self.conv2(self.bn1(self.conv1(x))))
        return self.act(x + shortcut)


class TimmResNetD(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn1 = BatchNormAct2d(16)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = TimmBasicBlock(16, 16, 1)
        self.layer2 = TimmBasicBlock(16, 32, 2)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = TimmLinear(32, classes)

    def forward(self, x):
        x = self.maxpool(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.global_pool(x), 1))


class CNBlock(nn.Module):
    """torchvision.models.convnext.CNBlock."""

    def __init__(self, dim, layer_scale, p):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, 7, padding=3, groups=dim), Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(),
            nn.Linear(4 * dim, dim), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(p, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class TimmConvNeXtBlock(nn.Module):
    """timm.models.convnext.ConvNeXtBlock (channels-last MLP, gamma reshaped)."""

    def __init__(self, dim):
        super().__init__()
        self.conv_dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = TimmLayerNorm(dim, eps=1e-6)
        self.fc1, self.act, self.fc2 = TimmLinear(dim, 4 * dim), nn.GELU(), TimmLinear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x):
        shortcut = x
        x = self.conv_dw(x).permute(0, 2, 3, 1)
        x = self.fc2(self.act(self.fc1(self.norm(x)))).permute(0, 3, 1, 2)
        x = x.mul(self.gamma.reshape(1, -1, 1, 1))
        return x + shortcut


class ConvNeXt(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 4, 4), LayerNorm2d(16, eps=1e-6))
        self.stage1 = nn.Sequential(CNBlock(16, 1e-6, 0.0), CNBlock(16, 1e-6, 0.1))
        self.down = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Conv2d(16, 32, 2, 2))
        self.stage2 = TimmConvNeXtBlock(32)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(32, eps=1e-6), nn.Flatten(1),
                                        nn.Linear(32, classes))

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.classifier(self.avgpool(x))


class EncoderBlock(nn.Module):
    """torchvision.models.vision_transformer.EncoderBlock."""

    def __init__(self, heads, dim, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, input):
        torch._assert(input.dim() == 3, "Expected (batch_size, seq_length, hidden_dim)")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = x + input
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    """torchvision.models.VisionTransformer, small; its head starts at zero (as torchvision's)."""

    def __init__(self, image=16, patch=4, dim=32, classes=10):
        super().__init__()
        self.patch_size, self.hidden_dim = patch, dim
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        length = (image // patch) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.empty(1, length, dim).normal_(std=0.02))
        self.layers = nn.Sequential(EncoderBlock(4, dim, 64), EncoderBlock(4, dim, 64))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x, attn_mask=None):  # timm-style optional argument, left at its default
        n, c, h, w = x.shape
        p = self.patch_size
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.ln(self.layers(x + self.pos_embedding))
        return self.head(x[:, 0])


class ShuffleNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                                   nn.ReLU(inplace=True))
        self.stage2 = nn.Sequential(ShuffleUnit(16), ShuffleUnit(16))
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.stage2(self.conv1(x))
        return self.fc(x.mean([2, 3]))


class GhostModule(nn.Module):
    """timm.models.ghostnet.GhostModule: cheap features concatenated, then cut to size."""

    def __init__(self, cin, out):
        super().__init__()
        self.out = out
        init = math.ceil(out / 2)
        self.primary_conv = nn.Sequential(nn.Conv2d(cin, init, 1, bias=False),
                                          nn.BatchNorm2d(init), nn.ReLU(inplace=True))
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(init, init, 3, 1, 1, groups=init, bias=False), nn.BatchNorm2d(init),
            nn.ReLU(inplace=True))

    def forward(self, x):
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        out = torch.cat([x1, x2], dim=1)
        return out[:, :self.out, :, :]


class GhostNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 2, 1)
        self.ghost = GhostModule(8, 13)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(13, classes)

    def forward(self, x):
        return self.fc(self.pool(self.ghost(self.stem(x))).flatten(1))


class DenseLayer(nn.Module):
    """torchvision.models.densenet._DenseLayer: its input is a list, of one tensor at first."""

    def __init__(self, cin, growth):
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, growth, 3, 1, 1, bias=False)

    def forward(self, prev_features):
        concated_features = torch.cat(prev_features, 1)
        return self.conv1(self.relu1(self.norm1(concated_features)))


class DenseNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.layer1 = DenseLayer(8, 4)
        self.layer2 = DenseLayer(12, 4)
        self.classifier = nn.Linear(16, classes)

    def forward(self, x):
        features = [self.conv0(x)]
        for layer in (self.layer1, self.layer2):
            features.append(layer(features))  # the first layer: a list of one tensor
        out = F.adaptive_avg_pool2d(F.relu(torch.cat(features, 1)), (1, 1))
        return self.classifier(torch.flatten(out, 1))


class MBConv(nn.Module):
    """torchvision.models.efficientnet.MBConv with squeeze-excitation and StochasticDepth."""

    def __init__(self, channels, p):
        super().__init__()
        hidden = channels * 4
        self.expand = nn.Sequential(nn.Conv2d(channels, hidden, 1, bias=False),
                                    nn.BatchNorm2d(hidden), nn.SiLU())
        self.dw = nn.Sequential(nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden, bias=False),
                                nn.BatchNorm2d(hidden), nn.SiLU())
        self.fc1, self.fc2 = nn.Conv2d(hidden, 4, 1), nn.Conv2d(4, hidden, 1)
        self.project = nn.Sequential(nn.Conv2d(hidden, channels, 1, bias=False),
                                     nn.BatchNorm2d(channels))
        self.stochastic_depth = StochasticDepth(p, "row")

    def forward(self, input):
        x = self.dw(self.expand(input))
        scale = torch.sigmoid(self.fc2(F.silu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        result = self.project(x * scale)
        return self.stochastic_depth(result) + input


class EfficientNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.SiLU())
        self.blocks = nn.Sequential(MBConv(8, 0.0), MBConv(8, 0.1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.blocks(self.stem(x))), 1))


FAMILIES = {
    "timm-resnet-d": (TimmResNetD, {"Conv2d", "BatchNorm2d", "AvgPool2d", "Linear"}),
    "convnext": (ConvNeXt, {"LayerNorm2d", "Scale", "StochasticDepth"}),
    "vit": (VisionTransformer, {"ClassToken", "PositionalEmbedding", "MultiheadAttention",
                                "SequencePool"}),
    "shufflenet": (ShuffleNet, {"Chunk", "Concat", "ChannelShuffle"}),
    "ghostnet": (GhostNet, {"Slice", "Concat"}),
    "densenet": (DenseNet, {"Concat", "BatchNorm2d"}),
    "efficientnet": (EfficientNet, {"StochasticDepth", "Multiply", "SiLU"}),
}


def _randomise(model: nn.Module) -> None:
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def _model_macs(model: nn.Module, x: torch.Tensor) -> int:
    """In training mode, on a copy: evaluation's fused attention kernel is not counted."""
    model = copy.deepcopy(model).train()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2 // x.shape[0]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_imports_exactly(family, tmp_path):
    cls, expected_blocks = FAMILIES[family]
    torch.manual_seed(0)
    model = cls().eval()
    _randomise(model)
    shape = (3, 16, 16)
    graph, weights = import_torch(model, shape)
    assert expected_blocks <= {n.type for n in graph.nodes}
    state = weights.apply(model.state_dict())
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 1e-2 or family == "vit"  # the ViT head starts at zero
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-4)
    # the import's own check also runs with near-zero parameters woken up
    assert check_import(model, graph, state, shape, weights=weights) < 1e-4
    # the MACs of the matrix products (conv, linear, attention): torch's own counter
    products = sum(n.macs for n in summary.nodes if n.type.startswith(("Conv", "Linear",
                                                                        "MultiheadAttention")))
    # torch's counter leaves out scaled_dot_product_attention's two products (scores, mix)
    scores = sum(2 * n.output_shape[0] ** 2 * n.output_shape[1] for n in summary.nodes
                 if n.type == "MultiheadAttention")
    assert products == _model_macs(model, x) + scores
    assert summary.macs >= products
    result = export_model(graph, "onnx", tmp_path / f"{family}.onnx", state)
    assert result.max_abs_diff < 1e-4


def test_vit_check_is_made_on_outputs_of_real_scale():
    """A zero head gives ~0 outputs whatever the graph does: the check wakes such parameters."""
    torch.manual_seed(0)
    model = VisionTransformer().eval()
    graph, weights = import_torch(model, (3, 16, 16))
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 16, 16)) == 0.0  # trivially: all zeros
    # a wrongly mapped class token: invisible behind the zero head, caught once it is woken
    key = next(k for k in state if k.endswith(".token"))
    shifted = _Shifted(weights, key)
    broken = shifted.apply(model.state_dict())
    assert check_import(model, graph, broken, (3, 16, 16)) == 0.0
    with pytest.raises(GraphError, match="near-zero parameters given random values"):
        check_import(model, graph, broken, (3, 16, 16), weights=shifted)


class _Shifted(dict):
    """A WeightMap whose ``apply`` shifts one tensor (a wrongly mapped weight)."""

    def __init__(self, weights, key):
        super().__init__(weights)
        self.weights, self.key = weights, key

    def apply(self, state):
        out = self.weights.apply(state)
        out[self.key] = out[self.key] + torch.randn(out[self.key].shape,
                                                    generator=torch.Generator().manual_seed(0))
        return out


def test_size_agnostic_flatten_and_optional_args():
    torch.manual_seed(0)
    graph, _ = import_torch(VisionTransformer().eval(), (3, 16, 16))
    assert [n.id for n in graph.nodes if n.type == "Input"] == ["x"]  # attn_mask left out
    assert "Reshape" not in {n.type for n in graph.nodes}
    flat = next(n for n in graph.nodes if n.type == "Flatten")
    assert flat.params == {"start_dim": 1}
    ln2d = [n for n in import_torch(ConvNeXt().eval(), (3, 16, 16))[0].nodes
            if n.type == "LayerNorm2d"]
    assert len(ln2d) == 3 and ln2d[0].params == {"eps": 1e-6}


def test_unsupported_messages_name_the_real_op():
    class BatchSplit(nn.Module):
        def forward(self, x):
            a, b = x.chunk(2, dim=0)
            return a + b

    with pytest.raises(GraphError, match=r"Tensor\.chunk in BatchSplit\.forward: it splits "
                                         r"the batch dimension"):
        import_torch(BatchSplit(), (4,))

    from layerloom.graph.import_torch.functions import describe

    class FakeNode:
        op, target = "call_function", _roi_pool

    assert describe(FakeNode()) == "torchvision.ops.roi_pool._roi_pool"


def _roi_pool(x):
    return x


_roi_pool.__module__ = "torchvision.ops.roi_pool"  # reported by its module, not as torch.…
