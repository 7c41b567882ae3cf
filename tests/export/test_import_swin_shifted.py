"""The original Swin's shifted windows (microsoft/Swin-Transformer's SwinTransformerBlock with
shift_size > 0): ``torch.roll`` of the [B, H, W, C] map, ``window_partition``, the window
attention given the mask its ``__init__`` builds from slices, ``window_reverse`` and the roll
back. The roll comes first, and its refusal said only "no LayerLoom block does this"; it now
says what the window partition's refusal says (``test_import_swin_windows.py``): the
ShiftedWindowAttention block does all of it, torchvision's module imports as that block."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)


def window_reverse(windows, window_size, H, W):
    B = int(windows.shape[0] / (H * W / window_size / window_size))
    x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


class ShiftedBlock(nn.Module):
    def __init__(self, dim=16, input_resolution=(8, 8), num_heads=2, window_size=4,
                 shift_size=2):
        super().__init__()
        self.input_resolution, self.window_size = input_resolution, window_size
        self.shift_size = shift_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        H, W = self.input_resolution
        img_mask = torch.zeros((1, H, W, 1))
        slices = (slice(0, -window_size), slice(-window_size, -shift_size),
                  slice(-shift_size, None))
        cnt = 0
        for h in slices:
            for w in slices:
                img_mask[:, h, w, :] = cnt
                cnt += 1
        mask_windows = window_partition(img_mask, window_size).view(-1, window_size ** 2)
        attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
        attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(
            attn_mask == 0, float(0.0))
        self.register_buffer("attn_mask", attn_mask)

    def forward(self, x):  # (B, H·W, C)
        H, W = self.input_resolution
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x).view(B, H, W, C)
        shifted_x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))  # roll
        x_windows = window_partition(shifted_x, self.window_size).view(-1, self.window_size ** 2, C)
        mask = self.attn_mask.repeat(B, 1, 1).repeat_interleave(self.attn.num_heads, 0)
        attn_windows = self.attn(x_windows, x_windows, x_windows, attn_mask=mask)[0]
        attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
        shifted_x = window_reverse(attn_windows, self.window_size, H, W)
        x = torch.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        return shortcut + x.view(B, H * W, C)


def test_the_shifted_windows_roll_is_refused_at_its_line_naming_the_block_to_use(line_of):
    model = ShiftedBlock().eval()
    with torch.no_grad():
        model(torch.randn(2, 64, 16))  # the model runs
    with pytest.raises(GraphError) as caught:
        import_torch(model, (64, 16))
    assert str(caught.value) == (
        f"{line_of('roll')}: cannot import torch.roll in ShiftedBlock.forward: no LayerLoom "
        f"block does this; fix: torch.roll shifts a tensor cyclically, and no block does; "
        f"Swin's shifted windows (torch.roll, window_partition, the attention with its mask, "
        f"window_reverse and the roll back) are one ShiftedWindowAttention block, which shifts, "
        f"masks and puts back the windows itself: call torchvision's ShiftedWindowAttention(dim, "
        f"window_size=[w, w], shift_size=[s, s], num_heads) (or its SwinTransformerBlock) on "
        f"the [B, H, W, C] map in their place")
