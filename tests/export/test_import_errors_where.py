"""import-torch's "cannot import ..." errors name the user's file and line of the offending call
(from what torch.fx recorded while tracing) and, where a known rewrite exists, say it:
batch_first=True for an RNN or Transformer fed [length, batch, ...] otherwise than its
batch moved second (a GRU on x.transpose(0, 1) imports), the same values written with ReLU for a
one-sided clamp. timm's q, k and v split by a permute that moves the batch is not refused: it
imports as the same split written with chunk; so does a causal mask written with masked_fill
(as is_causal=True, graph/import_torch/causal_attention.py)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch


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


class CausalMask(nn.Module):
    """Attention with a causal mask written with masked_fill (for one length)."""

    def __init__(self, length: int = 5):
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.register_buffer("mask", torch.tril(torch.ones(length, length)).view(
            1, 1, length, length))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(8, dim=2)
        q, k, v = (t.view(B, T, 2, 4).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask == 0, float("-inf"))
        return (att.softmax(dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)


class QKVFirst(nn.Module):
    """timm's Attention: q, k and v split by a permute that moves the batch (imports)."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, 2, 4).permute(2, 0, 3, 1, 4)  # qkv-first
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * 0.5
        return (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)


class Clamp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.clamp(self.fc(x), min=-3)  # clamp


@pytest.mark.parametrize("model, marker, op, fix", [
    (TimeMajor(), "time-major", "cannot import lstm (LSTM): batch_first=False",
     "fix: construct it with batch_first=True"),
    (Clamp(), "clamp", "cannot import torch.clamp in Clamp.forward: clamping to min=-3 with "
     "no upper bound", "write F.relu(x + 3) - 3, the same values"),
], ids=["time-major", "clamp"])
def test_an_import_error_names_the_file_and_line_and_the_fix(model, marker, op, fix, line_of):
    shape = [5, 1] if isinstance(model, TimeMajor) else [5, 8]
    with pytest.raises(GraphError) as info:
        import_torch(model, [shape])
    message = str(info.value)
    assert message.startswith(f"{line_of(marker)}: {op}"), message
    assert fix in message
    assert "\n" not in message


@pytest.mark.parametrize("model", [GRUTranspose(), GRUPermute()], ids=["transpose", "permute"])
def test_a_sequence_first_gru_on_the_batch_moved_second_imports(model):
    """Once refused at the transpose or permute with the fix batch_first=True; now the GRU is
    the batch-first block on the batch as it was (tests/export/test_import_sequence_first_rnn.py)."""
    model = model.eval()
    graph, weights = import_torch(model, [5, 1])
    types = [n.type for n in graph.nodes]
    assert types[:2] == ["Input", "GRU"] and "Permute" not in types
    assert check_import(model, graph, weights.apply(model.state_dict()), [5, 1]) <= 1e-5


def test_a_causal_mask_written_with_masked_fill_imports():
    """Once refused with the rewrite to is_causal=True; now that rewrite is the import's."""
    model = CausalMask().eval()
    graph, weights = import_torch(model, [5, 8])
    assert [n.params for n in graph.nodes if n.type == "ScaledDotProductAttention"] == [
        {"is_causal": True, "scale": 0.5}]
    assert check_import(model, graph, weights.apply(model.state_dict()), [5, 8]) <= 1e-5


def test_timms_qkv_first_split_imports():
    """Once refused (the permute moves the batch); now imported as q, k, v = qkv.chunk(3, -1),
    each .view(B, N, heads, head_dim).transpose(1, 2) (tests/export/test_import_qkv_first.py)."""
    model = QKVFirst().eval()
    graph, weights = import_torch(model, [5, 8])
    assert "Chunk" in {n.type for n in graph.nodes}
    assert check_import(model, graph, weights.apply(model.state_dict()), [5, 8]) <= 1e-5
