"""Users' image models the coverage benchmark did not hold, each written as its authors write
it: milesial's U-Net with transposed convolutions (its F.pad to the skip's size), torchvision's
MobileNetV3 inverted residual (hard-swish, squeeze-and-excitation with hardsigmoid), the
official ConvNeXt's block and its own channels_first LayerNorm, a VAE's encoder (mu and
log-variance) and the official Swin's window attention. Each imports from PyTorch and from its
ONNX file with the model's outputs, or is refused naming the line and what to change.
(``benchmarks/import_coverage_bench.py`` lists them.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from convnext_official import Block, LayerNorm
from torch import nn
from unet_parts import UNet

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


# 1. milesial's Pytorch-UNet, transposed-convolution variant (bilinear=False): unet_parts.UNet

# 2. torchvision's MobileNetV3 inverted residual with squeeze-and-excitation ---------------------

class SqueezeExcitation(nn.Module):
    def __init__(self, input_channels, squeeze_channels):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def _scale(self, input):
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def forward(self, input):
        scale = self._scale(input)
        return scale * input


class InvertedResidual(nn.Module):
    def __init__(self, cin=16, expanded=48, cout=16, kernel=3, stride=1):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, expanded, 1, bias=False), nn.BatchNorm2d(expanded), nn.Hardswish(),
            nn.Conv2d(expanded, expanded, kernel, stride, kernel // 2, groups=expanded,
                      bias=False),
            nn.BatchNorm2d(expanded), nn.Hardswish(),
            SqueezeExcitation(expanded, (expanded // 4 + 7) // 8 * 8),
            nn.Conv2d(expanded, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.Hardswish())
        self.block = InvertedResidual()
        self.classifier = nn.Sequential(nn.Linear(16, 32), nn.Hardswish(), nn.Dropout(0.2),
                                        nn.Linear(32, 10))

    def forward(self, x):
        x = self.block(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.classifier(torch.flatten(x, 1))


# 3. facebookresearch/ConvNeXt's own block and LayerNorm (convnext_official.py) ------------------

class ConvNeXtOfficial(nn.Module):
    def __init__(self, dims=(16, 32), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], kernel_size=4, stride=4),
                                  LayerNorm(dims[0], eps=1e-6, data_format="channels_first"))
        self.stage1 = Block(dims[0], layer_scale_init_value=0.5)
        self.down = nn.Sequential(LayerNorm(dims[0], eps=1e-6, data_format="channels_first"),
                                  nn.Conv2d(dims[0], dims[1], kernel_size=2, stride=2))
        self.stage2 = Block(dims[1], layer_scale_init_value=0.5)
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean([-2, -1])))


# 4. microsoft/Swin-Transformer: window partition, window attention, window reverse ---------------

def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)
    return windows


def window_reverse(windows, window_size, H, W):
    B = int(windows.shape[0] / (H * W / window_size / window_size))
    x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)
    return x


class WindowAttention(nn.Module):
    def __init__(self, dim, window_size, num_heads, qkv_bias=True):
        super().__init__()
        self.dim = dim
        self.window_size = window_size  # Wh, Ww
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads))
        coords_h = torch.arange(self.window_size[0])
        coords_w = torch.arange(self.window_size[1])
        coords = torch.stack(torch.meshgrid([coords_h, coords_w], indexing="ij"))
        coords_flatten = torch.flatten(coords, 1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        relative_position_index = relative_coords.sum(-1)
        self.register_buffer("relative_position_index", relative_position_index)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.softmax = nn.Softmax(dim=-1)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def forward(self, x):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = (q @ k.transpose(-2, -1))
        relative_position_bias = self.relative_position_bias_table[
            self.relative_position_index.view(-1)].view(
            self.window_size[0] * self.window_size[1], self.window_size[0] * self.window_size[1],
            -1)
        relative_position_bias = relative_position_bias.permute(2, 0, 1).contiguous()
        attn = attn + relative_position_bias.unsqueeze(0)
        attn = self.softmax(attn)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)


class SwinWindowBlock(nn.Module):
    """A Swin block without the shift: norm, windows, attention, windows back, MLP."""

    def __init__(self, dim=16, window_size=4, num_heads=2):
        super().__init__()
        self.window_size = window_size
        self.patch_embed = nn.Conv2d(3, dim, 2, 2)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, (window_size, window_size), num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch_embed(x).permute(0, 2, 3, 1)  # B H W C
        B, H, W, C = x.shape
        shortcut = x
        x = self.norm1(x)
        x_windows = window_partition(x, self.window_size)
        x_windows = x_windows.view(-1, self.window_size * self.window_size, C)
        attn_windows = self.attn(x_windows)
        attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
        x = window_reverse(attn_windows, self.window_size, H, W)
        x = shortcut + x
        x = x + self.mlp(self.norm2(x))
        return self.head(x.mean(dim=(1, 2)))


# 7. A convolutional VAE's encoder (the PyTorch examples' style): mu and log-variance -----------

class VAEEncoder(nn.Module):
    def __init__(self, latent_dim=4):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2))
        self.fc_mu = nn.Linear(16 * 4 * 4, latent_dim)
        self.fc_var = nn.Linear(16 * 4 * 4, latent_dim)

    def forward(self, input):
        result = self.encoder(input)
        result = torch.flatten(result, start_dim=1)
        mu = self.fc_mu(result)
        log_var = self.fc_var(result)
        return mu, log_var


IMPORTED = {  # name: (model, blocks its design holds)
    "unet": (UNet, {"ConvTranspose2d", "ZeroPad2d", "Concat", "BatchNorm2d"}),
    "mobilenetv3": (MobileNetV3Block, {"Hardswish", "Hardsigmoid", "Multiply", "Add"}),
    "convnext-official": (ConvNeXtOfficial, {"LayerNorm2d", "Permute", "Scale"}),
    "vae-encoder": (VAEEncoder, {"Flatten", "LeakyReLU", "Linear"}),
}
SHAPE = (3, 16, 16)


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_a_users_image_model_imports_with_its_outputs(name, users_model_imported):
    cls, blocks = IMPORTED[name]
    _, graph = users_model_imported(cls, SHAPE)
    assert blocks <= {n.type for n in graph.nodes}


@pytest.mark.parametrize("name", ["unet", "mobilenetv3", "vae-encoder"])
def test_a_users_image_model_imports_from_its_onnx_file(name, tmp_path, users_onnx_imported):
    torch.manual_seed(0)
    users_onnx_imported(IMPORTED[name][0]().eval(), SHAPE, tmp_path)


def test_swins_window_partition_is_refused_at_its_view_that_moves_the_batch():
    """``window_partition`` folds the batch into the windows (``[B, nH, nW, ws, ws, C]`` to
    ``[B * nH * nW, ws, ws, C]``), which no block does (torchvision's Swin, whose
    ShiftedWindowAttention keeps the windows inside one block, imports). The trace itself
    passes ``window_reverse``'s ``int(windows.shape[0] / ...)``; it stopped there, called
    control flow that depends on the data."""
    with pytest.raises(GraphError, match=r"test_import_users_images\.py:\d+: cannot import "
                                         r"Tensor\.view in SwinWindowBlock\.forward: it reshapes "
                                         r"\[3, 2, 2, 4, 4, 16\] \(batch first\) to \[12, 4, 4, "
                                         r"16\], moving the batch dimension"):
        import_torch(SwinWindowBlock().eval(), SHAPE)
