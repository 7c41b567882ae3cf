"""Swin Transformer (V1), written here as torchvision's ``models/swin_transformer.py`` writes it
(torchvision cannot be imported beside the CPU torch): ShiftedWindowAttention and PatchMerging
import whole, as the blocks of those names, with their weights; the rest (patch embedding,
Permute, LayerNorm, MLP, StochasticDepth, the head) through the existing rules. Params, outputs
(of a real scale), MACs (torch's own FLOP counter), ONNX round trip and a training step are
checked."""

from __future__ import annotations

import copy
import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch

# -- torchvision.ops.misc / torchvision.ops.stochastic_depth -----------------------------------


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)


class StochasticDepth(nn.Module):
    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1), dtype=x.dtype,
                            device=x.device).bernoulli_(survival)
        return x * noise.div_(survival)


class MLP(nn.Sequential):
    def __init__(self, in_channels, hidden_channels, activation_layer, dropout=0.0):
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers += [nn.Linear(in_dim, hidden_dim), activation_layer(), nn.Dropout(dropout)]
            in_dim = hidden_dim
        layers += [nn.Linear(in_dim, hidden_channels[-1]), nn.Dropout(dropout)]
        super().__init__(*layers)


# -- torchvision.models.swin_transformer (V1) --------------------------------------------------


def _patch_merging_pad(x: Tensor) -> Tensor:
    H, W, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    x0 = x[..., 0::2, 0::2, :]
    x1 = x[..., 1::2, 0::2, :]
    x2 = x[..., 0::2, 1::2, :]
    x3 = x[..., 1::2, 1::2, :]
    return torch.cat([x0, x1, x2, x3], -1)


torch.fx.wrap("_patch_merging_pad")


def _get_relative_position_bias(table: Tensor, index: Tensor, window_size) -> Tensor:
    N = window_size[0] * window_size[1]
    bias = table[index].view(N, N, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


torch.fx.wrap("_get_relative_position_bias")


class PatchMerging(nn.Module):
    def __init__(self, dim: int, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor):
        x = _patch_merging_pad(x)
        x = self.norm(x)
        return self.reduction(x)


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias,
                             window_size, num_heads, shift_size, attention_dropout=0.0,
                             dropout=0.0, qkv_bias=None, proj_bias=None, logit_scale=None,
                             training=True):
    B, H, W, C = input.shape
    pad_r = (window_size[1] - W % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - H % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_H, pad_W, _ = x.shape
    shift_size = shift_size.copy()
    if window_size[0] >= pad_H:
        shift_size[0] = 0
    if window_size[1] >= pad_W:
        shift_size[1] = 0
    if sum(shift_size) > 0:
        x = torch.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    x = x.view(B, pad_H // window_size[0], window_size[0], pad_W // window_size[1],
               window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * num_windows, window_size[0] * window_size[1], C)
    if logit_scale is not None and qkv_bias is not None:
        qkv_bias = qkv_bias.clone()
        length = qkv_bias.numel() // 3
        qkv_bias[length: 2 * length].zero_()
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        logit_scale = torch.clamp(logit_scale, max=math.log(100.0)).exp()
        attn = attn * logit_scale
    else:
        q = q * (C // num_heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if sum(shift_size) > 0:
        attn_mask = x.new_zeros((pad_H, pad_W))
        h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]),
                    (-shift_size[0], None))
        w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]),
                    (-shift_size[1], None))
        count = 0
        for h in h_slices:
            for w in w_slices:
                attn_mask[h[0]: h[1], w[0]: w[1]] = count
                count += 1
        attn_mask = attn_mask.view(pad_H // window_size[0], window_size[0],
                                   pad_W // window_size[1], window_size[1])
        attn_mask = attn_mask.permute(0, 2, 1, 3).reshape(num_windows,
                                                          window_size[0] * window_size[1])
        attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
        attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(
            attn_mask == 0, float(0.0))
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + attn_mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))
    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)
    x = x.view(B, pad_H // window_size[0], pad_W // window_size[1], window_size[0],
               window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, pad_H, pad_W, C)
    if sum(shift_size) > 0:
        x = torch.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :H, :W, :].contiguous()


torch.fx.wrap("shifted_window_attention")


class ShiftedWindowAttention(nn.Module):
    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True,
                 attention_dropout=0.0, dropout=0.0):
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        self.relative_position_bias_table = nn.Parameter(torch.zeros(
            (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        coords_h = torch.arange(self.window_size[0])
        coords_w = torch.arange(self.window_size[1])
        coords = torch.stack(torch.meshgrid(coords_h, coords_w, indexing="ij"))
        coords_flatten = torch.flatten(coords, 1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        self.register_buffer("relative_position_index", relative_coords.sum(-1).flatten())

    def get_relative_position_bias(self):
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x: Tensor):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2's attention, as far as its parameters: a logit scale and a position-bias MLP."""

    def __init__(self, dim, window_size, shift_size, num_heads, **kwargs):
        super().__init__(dim, window_size, shift_size, num_heads, **kwargs)
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, num_heads))

    def forward(self, x: Tensor):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0,
                 attention_dropout=0.0, stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm,
                 attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        x = x + self.stochastic_depth(self.mlp(self.norm2(x)))
        return x


class SwinTransformer(nn.Module):
    def __init__(self, patch_size=(4, 4), embed_dim=16, depths=(2, 2), num_heads=(2, 4),
                 window_size=(4, 4), mlp_ratio=4.0, dropout=0.0, attention_dropout=0.0,
                 stochastic_depth_prob=0.1, num_classes=10, block=SwinTransformerBlock,
                 downsample_layer=PatchMerging):
        super().__init__()
        norm_layer = partial(nn.LayerNorm, eps=1e-5)
        window_size = list(window_size)
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total_stage_blocks = sum(depths)
        stage_block_id = 0
        for i_stage in range(len(depths)):
            stage: list[nn.Module] = []
            dim = embed_dim * 2 ** i_stage
            for i_layer in range(depths[i_stage]):
                sd_prob = stochastic_depth_prob * float(stage_block_id) / (total_stage_blocks - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2
                                               for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.norm(x)
        x = self.permute(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        return self.head(x)


SHAPE = (3, 32, 32)


def swin_tiny() -> SwinTransformer:
    """A small Swin V1 (embed_dim 16, depths [2, 2], heads [2, 4], window 4) whose weights are
    given a real scale (the bias tables and the head start near zero in torchvision)."""
    torch.manual_seed(0)
    model = SwinTransformer().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "relative_position_bias_table" in name:
                param.copy_(torch.randn(param.shape, generator=generator))
            elif name.startswith("head"):
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    return model


def _model_macs(model: nn.Module, x: torch.Tensor) -> int:
    model = copy.deepcopy(model).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2 // x.shape[0]


@pytest.fixture(scope="module")
def imported():
    model = swin_tiny()
    graph, weights = import_torch(model, SHAPE)
    return model, graph, weights, weights.apply(model.state_dict())


def test_import_swin_blocks_and_names(imported):
    model, graph, weights, _ = imported
    by_type: dict[str, list] = {}
    for node in graph.nodes:
        by_type.setdefault(node.type, []).append(node)
    assert [n.id for n in by_type["ShiftedWindowAttention"]] == [
        "features_1_0_attn", "features_1_1_attn", "features_3_0_attn", "features_3_1_attn"]
    assert [n.params for n in by_type["ShiftedWindowAttention"]] == [
        {"num_heads": 2, "window_size": 4, "shift_size": 0},
        {"num_heads": 2, "window_size": 4, "shift_size": 2},
        {"num_heads": 4, "window_size": 4, "shift_size": 0},
        {"num_heads": 4, "window_size": 4, "shift_size": 2}]
    assert [n.id for n in by_type["PatchMerging"]] == ["features_2"]
    assert {"Conv2d", "Permute", "LayerNorm", "GELU", "StochasticDepth", "Add",
            "AdaptiveAvgPool2d", "Flatten", "Linear"} <= set(by_type)
    assert weights["features_1_1_attn.relative_position_bias_table"] == \
        "features.1.1.attn.relative_position_bias_table"
    assert weights["features_2.reduction.weight"] == "features.2.reduction.weight"
    summary = summarize(graph)
    shapes = {n.id: list(n.output_shape) for n in summary.nodes}
    assert shapes["features_1_1_attn"] == [8, 8, 16]
    assert shapes["features_2"] == [4, 4, 32]


def test_import_swin_exactly(imported, tmp_path):
    model, graph, weights, state = imported
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *SHAPE, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 0.1  # outputs of a real scale
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert check_import(model, graph, state, SHAPE, weights=weights) < 1e-5
    products = sum(n.macs for n in summary.nodes
                   if n.type.startswith(("Conv", "Linear", "ShiftedWindowAttention",
                                         "PatchMerging")))
    assert products == _model_macs(model, x)
    result = export_model(graph, "onnx", tmp_path / "swin.onnx", state)
    assert result.max_abs_diff < 1e-4


def test_import_swin_trains(imported):
    model, graph, weights, state = imported
    compiled = compile_graph(graph)
    compiled.load_state_dict(state, strict=True)
    compiled.train()
    before = {k: v.clone() for k, v in compiled.state_dict().items()}
    optimiser = torch.optim.SGD(compiled.parameters(), lr=0.1)
    x = torch.randn(4, *SHAPE)
    loss = F.cross_entropy(compiled(x), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    optimiser.step()
    after = compiled.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert "features_1_1_attn.relative_position_bias_table" in changed
    assert "features_2.reduction.weight" in changed
    assert torch.equal(after["features_1_1_attn.relative_position_index"],
                       before["features_1_1_attn.relative_position_index"])


def test_import_swin_v2_attention_is_named():
    model = SwinTransformer(block=partial(SwinTransformerBlock,
                                          attn_layer=ShiftedWindowAttentionV2)).eval()
    with pytest.raises(GraphError, match=r"features\.1\.0\.attn \(ShiftedWindowAttentionV2\).*"
                                         r"logit scale"):
        import_torch(model, SHAPE)
