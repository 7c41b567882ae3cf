"""Swin's windows cut by hand, as the original repository (microsoft/Swin-Transformer) writes
``window_partition``: a ``view`` and ``permute`` by the window size that makes each window a
sample of the batch. No block moves values into the batch; the ShiftedWindowAttention block
(torchvision's ShiftedWindowAttention, which ``test_import_swin.py`` imports) cuts, attends and
puts back the windows itself. The refusal names the line of the partition and says so; it said
only "moving the batch dimension"."""

from __future__ import annotations

import pytest
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)  # cut
    return windows


def window_reverse(windows, window_size, H, W):
    B = int(windows.shape[0] / (H * W / window_size / window_size))
    x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


class SwinBlock(nn.Module):
    def __init__(self, dim=16, window_size=4, heads=2):
        super().__init__()
        self.window_size = window_size
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=4, stride=4)
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

    def forward(self, x):
        x = self.patch_embed(x).permute(0, 2, 3, 1)  # (B, H, W, C)
        B, H, W, C = x.shape
        windows = window_partition(self.norm(x), self.window_size)
        windows = windows.view(-1, self.window_size * self.window_size, C)
        windows = self.attn(windows, windows, windows, need_weights=False)[0]
        windows = windows.view(-1, self.window_size, self.window_size, C)
        return x + window_reverse(windows, self.window_size, H, W)


def test_a_window_partition_by_hand_is_refused_at_its_line_naming_the_block_to_use():
    with pytest.raises(GraphError) as caught:
        import_torch(SwinBlock().eval(), (3, 32, 32))
    lines = open(__file__, encoding="utf-8").read().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.endswith("# cut"))
    message = str(caught.value)
    assert message.startswith(f"test_import_swin_windows.py:{line}: cannot import Tensor.view")
    assert "moving the batch dimension; it makes a map's windows samples of the batch (Swin's " \
           "window_partition), which no block does" in message
    assert "call torchvision's ShiftedWindowAttention(dim, window_size=[w, w], shift_size=[s, s]" \
           ", num_heads) (or its SwinTransformerBlock) on the [B, H, W, C] map in place of " \
           "window_partition, the attention and window_reverse" in message


def test_another_reshape_that_moves_the_batch_says_no_more_than_that():
    class Merge(nn.Module):
        def forward(self, x):
            return x.reshape(-1, 4)

    # no word of windows; the steps made rows are said to be so, with what to write instead
    # (before, the message ended at "moving the batch dimension")
    with pytest.raises(GraphError, match=r"moving the batch dimension; it makes every step of "
                                         r"every sample a row \(\[6, 4\]\)") as caught:
        import_torch(Merge().eval(), (2, 4))
    assert "Swin" not in str(caught.value) and "ShiftedWindowAttention" not in str(caught.value)
