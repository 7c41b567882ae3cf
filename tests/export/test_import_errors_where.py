"""import-torch's "cannot import ..." errors name the user's file and line of the offending call
(from what torch.fx recorded while tracing) and, where a known rewrite exists, say it:
batch_first=True for a time-major RNN/Transformer, nn.MultiheadAttention for hand-written
attention, the same values written with ReLU for a one-sided clamp."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch

HERE = Path(__file__)


def line_of(marker: str) -> str:
    """``test_import_errors_where.py:N``: the line of this file that ends with ``marker``."""
    for number, text in enumerate(HERE.read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return f"{HERE.name}:{number}"
    raise AssertionError(marker)


class GRUTranspose(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 16)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        out, h = self.gru(x.transpose(0, 1))  # transpose
        return self.fc(h[-1])


class GRUPermute(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 16, num_layers=2)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = x.permute(1, 0, 2)  # permute
        out, h = self.gru(x)
        return self.fc(out[-1])


class TimeMajor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 16)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.lstm(x)  # time-major
        return self.fc(out[-1])


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, h):
        scores = self.q(h) @ self.k(h).transpose(-2, -1) / math.sqrt(8)  # matmul
        return torch.softmax(scores, -1) @ h


class HandAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Inner()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.block(x).mean(1))


class SDPA(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return F.scaled_dot_product_attention(q, k, v)  # sdpa


class Clamp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.clamp(self.fc(x), min=-3)  # clamp


@pytest.mark.parametrize("model, marker, op, fix", [
    (GRUTranspose(), "transpose", "cannot import Tensor.transpose in GRUTranspose.forward",
     "fix: make gru batch_first=True and drop the transpose"),
    (GRUPermute(), "permute", "cannot import Tensor.permute in GRUPermute.forward",
     "fix: make gru batch_first=True and drop the permute"),
    (TimeMajor(), "time-major", "cannot import lstm (LSTM): batch_first=False",
     "fix: construct it with batch_first=True"),
    (HandAttention(), "matmul", "cannot import operator.matmul in block (Inner)",
     "fix: for attention, use nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)"),
    (SDPA(), "sdpa", "cannot import torch.nn.functional.scaled_dot_product_attention",
     "fix: for attention, use nn.MultiheadAttention("),
    (Clamp(), "clamp", "cannot import torch.clamp in Clamp.forward: clamping to min=-3 with "
     "no upper bound", "write F.relu(x + 3) - 3, the same values"),
], ids=["transpose", "permute", "time-major", "matmul", "sdpa", "clamp"])
def test_an_import_error_names_the_file_and_line_and_the_fix(model, marker, op, fix):
    shape = [5, 1] if isinstance(model, (GRUTranspose, GRUPermute, TimeMajor)) else [5, 8]
    with pytest.raises(GraphError) as info:
        import_torch(model, [shape])
    message = str(info.value)
    assert message.startswith(f"{line_of(marker)}: {op}"), message
    assert fix in message
    assert "\n" not in message
