"""Two ways sequence models are written that import: a causal convolution's left padding
``F.pad(x, (k - 1, 0))`` of a ``[B, C, L]`` sequence (WaveNet, TCN variants) is a ZeroPad2d of
its length, and an LSTM/GRU given ``torch.zeros(layers, x.size(0), hidden)`` as its initial state
(yunjey's pytorch-tutorial) is the layer with its default state."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.summary import summarize


class Causal(nn.Module):  # r12
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 2, dilation=2)

    def forward(self, x):
        return self.conv(F.pad(x, (2, 0)))


class CausalStack(nn.Module):
    """Two dilated causal convolutions, the padding (k - 1) · d on the left of each."""

    def __init__(self, k: int = 3):
        super().__init__()
        self.k = k
        self.convs = nn.ModuleList([nn.Conv1d(4, 8, k, dilation=1), nn.Conv1d(8, 8, k, dilation=2)])

    def forward(self, x):
        for conv in self.convs:
            x = torch.relu(conv(F.pad(x, ((self.k - 1) * conv.dilation[0], 0))))
        return x


class PadToSkip(nn.Module):
    """UNet's pad to the size of the skip connection, in 1-D: amounts computed in forward."""

    def __init__(self):
        super().__init__()
        self.down, self.up = nn.Conv1d(4, 4, 3), nn.Conv1d(4, 4, 1)

    def forward(self, x):
        y = self.up(self.down(x))
        diff = x.size(2) - y.size(2)
        return torch.cat([x, F.pad(y, (diff // 2, diff - diff // 2))], 1)


class Crop(nn.Module):
    def forward(self, x):
        return F.pad(x, (-1, 0))  # crop


class PadFeatures(nn.Module):
    def forward(self, x):
        return F.pad(x, (1, 1))  # features


class TutorialLSTM(nn.Module):  # r13: yunjey/pytorch-tutorial's recurrent network
    def __init__(self):
        super().__init__()
        self.num_layers, self.hidden_size = 2, 8
        self.lstm, self.fc = nn.LSTM(6, 8, 2, batch_first=True), nn.Linear(8, 3)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.lstm(x, (h0, c0))
        return self.fc(out[:, -1, :])


class BiGRUZeros(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru, self.fc = nn.GRU(6, 8, 1, batch_first=True, bidirectional=True), nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.gru(x, torch.zeros(2, x.size(0), 8))
        return self.fc(out.mean(1))


class OnesState(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 8, batch_first=True)

    def forward(self, x):
        out, _ = self.gru(x, torch.ones(1, x.size(0), 8))  # ones
        return out


def imports_exactly(model: nn.Module, shape) -> list[str]:
    graph, weights = import_torch(model, shape)
    assert check_import(model, graph, weights.apply(model.state_dict()), shape,
                        weights=weights) < 1e-5
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    return [(n.type, n.params) for n in graph.nodes]


def test_a_causal_pad_of_a_sequence_is_a_zeropad2d_of_its_length():
    assert imports_exactly(Causal(), (1, 32)) == [
        ("Input", {"shape": [1, 32]}), ("ZeroPad2d", {"padding": [2, 0, 0, 0]}),
        ("Conv1d", {"out_channels": 8, "kernel_size": 2, "stride": 1, "dilation": 2}), ("Output", {})]


def test_a_stack_of_dilated_causal_convolutions_imports():
    blocks = imports_exactly(CausalStack(), (4, 20))
    assert [b for b in blocks if b[0] == "ZeroPad2d"] == [
        ("ZeroPad2d", {"padding": [2, 0, 0, 0]}), ("ZeroPad2d", {"padding": [4, 0, 0, 0]})]


def test_a_pad_by_sizes_computed_in_forward_imports():
    blocks = imports_exactly(PadToSkip(), (4, 20))
    assert ("ZeroPad2d", {"padding": [1, 1, 0, 0]}) in blocks


def test_a_negative_pad_is_refused_in_words(line_of):
    with pytest.raises(GraphError, match=rf"^{line_of('crop')}: cannot import "
                                         rf"torch.nn.functional.pad in Crop.forward: pad "
                                         rf"\[-1, 0\] crops \(a negative pad\); only padding "
                                         rf"maps, to ZeroPad2d$"):
        import_torch(Crop(), (4, 20))


def test_padding_the_features_of_a_vector_is_refused_in_words(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(PadFeatures(), (6,))
    assert str(caught.value) == (
        f"{line_of('features')}: cannot import torch.nn.functional.pad in PadFeatures.forward: "
        f"only padding the last one or two dimensions of a [B, C, L] sequence or a "
        f"[B, C, H, W] image (a pad of 2 or 4 values) maps, to ZeroPad2d")


def test_an_lstm_given_zeros_as_its_state_is_the_lstm():
    assert imports_exactly(TutorialLSTM(), (10, 6)) == [
        ("Input", {"shape": [10, 6]}),
        ("LSTM", {"hidden_size": 8, "num_layers": 2, "output": "sequence"}),
        ("SequencePool", {"mode": "last"}), ("Linear", {"out_features": 3}), ("Output", {})]


def test_a_bidirectional_gru_given_zeros_as_its_state_is_the_gru():
    blocks = imports_exactly(BiGRUZeros(), (10, 6))
    assert blocks[1] == ("GRU", {"hidden_size": 8, "bidirectional": True, "output": "sequence"})


def test_a_state_other_than_zeros_is_still_refused(line_of):
    # torch.ones(...) is a constant made in forward; the GRU given it as its state stops
    # (its words since the seq2seq decoders: an initial state, which no GRU block takes)
    with pytest.raises(GraphError, match=rf"^{line_of('ones')}: cannot import gru \(GRU\): it "
                                         rf"is given an initial state besides its input; no "
                                         rf"GRU block takes an initial state \(each starts "
                                         rf"from zeros\)"):
        import_torch(OnesState(), (10, 6))
