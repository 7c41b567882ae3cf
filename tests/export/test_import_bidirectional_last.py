"""The bidirectional idiom ``torch.cat([h[-2], h[-1]], 1)`` imports as an LSTM/GRU with
output='last' (the block joins the last layer's forward and backward final states in that order,
as the ONNX route maps the same model), for one and two layers; other joins are refused in
words."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class BiRNN(nn.Module):
    def __init__(self, kind: type, layers: int, order: str = "idiom"):
        super().__init__()
        self.emb = nn.Embedding(60, 8)
        self.rnn = kind(8, 6, num_layers=layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(12, 3)
        self.order = order
        self.lstm = kind is nn.LSTM

    def forward(self, x):
        if self.lstm:
            out, (h, c) = self.rnn(self.emb(x))
        else:
            out, h = self.rnn(self.emb(x))
        if self.order == "idiom":
            joined = torch.cat([h[-2], h[-1]], dim=1)
        elif self.order == "slices":
            joined = torch.cat((h[-2, :, :], h[-1, :, :]), -1)
        elif self.order == "reversed":
            joined = torch.cat([h[-1], h[-2]], dim=1)
        else:
            joined = torch.cat([h[-1], h[-1]], dim=1)
        return self.fc(joined)


@pytest.mark.parametrize("kind", [nn.LSTM, nn.GRU], ids=["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("order", ["idiom", "slices"])
def test_bidirectional_last_states_joined_import_as_output_last(kind, layers, order,
                                                                imported_outputs_equal):
    graph = imported_outputs_equal(BiRNN(kind, layers, order), [7], "int64")
    rnn = next(n for n in graph.nodes if n.type == kind.__name__)
    assert rnn.params["output"] == "last" and rnn.params["bidirectional"] is True
    assert rnn.params.get("num_layers", 1) == layers


@pytest.mark.parametrize("order", ["reversed", "twice"])
def test_other_joins_of_bidirectional_states_are_refused_in_words(order):
    with pytest.raises(GraphError) as info:
        import_torch(BiRNN(nn.LSTM, 2, order), [[7]], ["int64"])
    message = str(info.value)
    assert "cannot import torch.cat in BiRNN.forward" in message
    assert "only torch.cat([h[-2], h[-1]], 1), the last layer's forward then backward state, " \
           "maps (to output='last')" in message


class OneDirection(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 6, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        out, (h, c) = self.rnn(x)
        return self.fc(h[-1])


def test_one_direction_of_a_bidirectional_state_is_refused_in_words():
    with pytest.raises(GraphError, match=r"its input is h\[-1\], one direction of the "
                                         r"bidirectional rnn \(LSTM\); only both"):
        import_torch(OneDirection(), [[5, 4]])
