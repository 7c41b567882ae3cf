"""A sequence-first recurrent output pooled over its steps, as text classifiers write it
(ULMFiT's concat pooling, the tutorials' max-pooled BiLSTM)::

    out, _ = self.rnn(embedded)            # (S, B, H), nn.LSTM(batch_first=False)
    pooled, _ = out.max(0)                 # or out.max(0)[0], torch.max(out, 0)[0], out.amax(0)

imports as the batch-first recurrent block with the max over its steps (a Reduce), and so do
token ids turned sequence-first before their embedding (``self.embedding(text.t())``,
``text.permute(1, 0)``: ``[B, S]`` ids made ``[S, B]``), and the RCNN text classifier's join of
the LSTM's output with its input, both sequence-first (``torch.cat((output, input), 2)``). The
design gives the model's numbers, at the traced length and at another. Before, each was refused
at the recurrent module ("batch_first=False"), ``text.t()`` with "no LayerLoom block does
this", the RCNN at its permute ("dims [1, 0, 2] move the batch dimension")."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.import_torch import import_torch

POOLS = {
    "max tuple": lambda out: out.max(0)[0],
    "max values": lambda out: out.max(dim=0).values,
    "torch.max": lambda out: torch.max(out, 0)[0],
    "torch.max dim": lambda out: torch.max(out, dim=0)[0],
    "amax": lambda out: out.amax(0),
    "min": lambda out: out.min(0)[0],
    "concat": lambda out: torch.cat([out[-1], out.max(0)[0], out.mean(0)], 1),
}


class Classifier(nn.Module):
    def __init__(self, pool, ids="embedded", rnn=nn.LSTM, hidden=12):
        super().__init__()
        self.pool, self.ids = POOLS[pool], ids
        self.embedding = nn.Embedding(30, 8)
        self.rnn = rnn(8, hidden, bidirectional=True)
        width = 2 * hidden * (3 if pool == "concat" else 1)
        self.fc = nn.Linear(width, 3)

    def forward(self, text):  # (B, S)
        if self.ids == "t":
            embedded = self.embedding(text.t())  # (S, B, E)
        elif self.ids == "ids permute":
            embedded = self.embedding(text.permute(1, 0))
        else:
            embedded = self.embedding(text).permute(1, 0, 2)
        out, _ = self.rnn(embedded)  # (S, B, 2H)
        return self.fc(self.pool(out))


def _check(model, length=10):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, [length], "int64")
    types = [n.type for n in graph.nodes]
    for steps in (length, length + 5):
        other = graph.copy()
        next(n for n in other.nodes if n.type == "Input").params["shape"] = [steps]
        compiled = compile_graph(other).eval()
        compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
        ids = torch.randint(0, 30, (3, steps))
        with torch.no_grad():
            torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=0)
    return types


@pytest.mark.parametrize("pool", sorted(POOLS))
def test_a_sequence_first_output_pooled_over_its_steps_imports(pool):
    types = _check(Classifier(pool))
    assert "LSTM" in types and "Permute" not in types, types


@pytest.mark.parametrize("ids", ["t", "ids permute"])
@pytest.mark.parametrize("rnn", [nn.GRU, nn.RNN])
def test_ids_made_sequence_first_before_their_embedding_import(ids, rnn):
    types = _check(Classifier("torch.max", ids=ids, rnn=rnn))
    assert types[:3] == ["Input", "Embedding", rnn.__name__] and "Permute" not in types, types


class RCNN(nn.Module):
    """prakashpandey9's Text-Classification-Models-Pytorch RCNN, small."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 12, bidirectional=True)
        self.W2 = nn.Linear(2 * 12 + 8, 10)
        self.label = nn.Linear(10, 3)

    def forward(self, input_sentence):
        input = self.word_embeddings(input_sentence).permute(1, 0, 2)  # (S, B, E)
        output, (final_hidden_state, final_cell_state) = self.lstm(input)
        final_encoding = torch.cat((output, input), 2).permute(1, 0, 2)  # (B, S, 2H + E)
        y = self.W2(final_encoding).permute(0, 2, 1)
        y = F.max_pool1d(y, y.size()[2]).squeeze(2)
        return self.label(y)


def test_the_rcnn_joining_its_sequence_first_output_and_input_imports():
    types = _check(RCNN())
    assert types.count("Permute") == 1 and "Concat" in types, types  # the one to [B, C, S]
