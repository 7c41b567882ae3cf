"""A recurrent layer used both for its output sequence and its final hidden state imports: the
block gives the sequence, and the final state is read from it (its last step; bidirectional,
the forward half's last step joined with the backward half's first), as the model computes it
where no padding mask packs the samples.

Before, such a model stopped at the hidden state ("lstm is used both for its output sequence and
its last hidden state; a block gives one of them (use two layers)"): the LSTM classifier with
attention of prakashpandey9's Text-Classification-Pytorch (dot attention of the outputs with
``final_hidden_state``), and a bidirectional GRU whose outputs are pooled beside its
``torch.cat((hidden[-2], hidden[-1]), dim=1)`` (bentrevett's pytorch-seq2seq encoder)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class AttentionModel(nn.Module):
    def __init__(self, vocab=30, emb=8, hidden=8, classes=3, squeeze=False, layers=1):
        super().__init__()
        self.squeeze = squeeze
        self.word_embeddings = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=layers, batch_first=True)
        self.label = nn.Linear(hidden, classes)

    def attention_net(self, lstm_output, final_state):
        hidden = final_state.squeeze(0) if self.squeeze else final_state[-1]
        attn_weights = torch.bmm(lstm_output, hidden.unsqueeze(2)).squeeze(2)
        soft_attn_weights = F.softmax(attn_weights, 1)
        return torch.bmm(lstm_output.transpose(1, 2), soft_attn_weights.unsqueeze(2)).squeeze(2)

    def forward(self, input_sentences):
        x = self.word_embeddings(input_sentences)
        output, (final_hidden_state, final_cell_state) = self.lstm(x)
        return self.label(self.attention_net(output, final_hidden_state))


class BiGRUEncoder(nn.Module):
    def __init__(self, vocab=30, emb=8, hidden=6, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, hidden, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(hidden * 2, hidden)
        self.out = nn.Linear(hidden * 3, classes)

    def forward(self, src):
        outputs, hidden = self.rnn(self.embedding(src))
        hidden = torch.tanh(self.fc(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
        return self.out(torch.cat((outputs.mean(dim=1), hidden), dim=1))


def _imported(model, length=10):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, (length,), "int64")
    state = weights.apply(model.state_dict())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert check_import(model, graph, state, (length,), "int64", weights=weights) < 1e-5
    return model, graph, state


def _shapes(graph) -> dict[str, tuple[int, ...]]:
    return {n.id: tuple(n.output_shape) for n in summarize(graph).nodes}


def _same_at(model, graph, state, length):
    other = graph.copy()
    next(n for n in other.nodes if n.type == "Input").params["shape"] = [length]
    compiled = compile_graph(other).eval()
    compiled.load_state_dict(state, strict=True)
    ids = torch.randint(0, 30, (3, length))
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("squeeze, layers", [(False, 1), (True, 1), (False, 2)])
def test_an_lstms_outputs_attended_with_its_final_state_import(squeeze, layers):
    model, graph, state = _imported(AttentionModel(squeeze=squeeze, layers=layers))
    lstm = next(n for n in graph.nodes if n.type == "LSTM")
    assert lstm.params["output"] == "sequence"
    shapes = _shapes(graph)
    assert shapes[lstm.id] == (10, 8)
    last = [n for n in graph.nodes if n.id.startswith(f"{lstm.id}_last")]
    assert [(n.type, shapes[n.id]) for n in last] == [("Slice", (1, 8)), ("Flatten", (8,))]
    _same_at(model, graph, state, 15)


def test_a_bidirectional_grus_outputs_and_both_final_states_import():
    model, graph, state = _imported(BiGRUEncoder())
    gru = next(n for n in graph.nodes if n.type == "GRU")
    shapes = _shapes(graph)
    assert gru.params["output"] == "sequence" and shapes[gru.id] == (10, 12)
    joined = next(n for n in graph.nodes if n.type == "Concat" and n.id.startswith(gru.id))
    assert shapes[joined.id] == (12,)
    _same_at(model, graph, state, 7)
