"""torch's LSTM, GRU and RNN built sequence-first (``batch_first=False``, their default), as
public tutorials write a text classifier: ``embedding → permute(1, 0, 2) → LSTM →
output[-1] → Linear`` (with or without a zero state sized by ``embedded.size(1)``), or a GRU
whose last layer's state ``h_n[-1]`` is classified. Each
imports as the batch-first recurrent block on the permuted ids (``h_n`` is ``[layers, B, H]``
in both layouts, so only the input and ``output`` are transposed, and the transposes cancel);
the design's shapes, parameter counts and outputs are the model's on the same weights.

Before, each was refused at its call ("cannot import lstm (LSTM): batch_first=False"). A
sequence-first recurrent module fed the sample itself (its batch would be the sample's
length) is still refused with that fix."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class TutorialLSTM(nn.Module):
    """The tutorials' sequence-first LSTM classifier."""

    def __init__(self, vocab=50, embedding_dim=8, hidden_dim=12, classes=3, layers=2,
                 bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=layers,
                            bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_dim * (2 if bidirectional else 1), classes)

    def forward(self, text):  # (B, L)
        embedded = self.embedding(text).permute(1, 0, 2)  # (L, B, E)
        output, (hidden, cell) = self.lstm(embedded)  # output (L, B, H)
        return self.fc(output[-1])


class ZeroStateLSTM(TutorialLSTM):
    """The tutorials' classifier giving its LSTM a zero state sized from the permuted batch."""

    def __init__(self, shape=False):
        super().__init__()
        self.shape = shape

    def forward(self, text):
        embedded = self.embedding(text).permute(1, 0, 2)  # (L, B, E)
        batch = embedded.shape[1] if self.shape else embedded.size(1)
        state = (torch.zeros(2, batch, 12), torch.zeros(2, batch, 12))
        output, _ = self.lstm(embedded, state)
        return self.fc(output[-1])


class WholeIndexLSTM(TutorialLSTM):
    """The last step taken with its other dims spelled out, ``output[-1, :, :]``."""

    def forward(self, text):
        output, _ = self.lstm(self.embedding(text).permute(1, 0, 2))
        return self.fc(output[-1, :, :])


class LastStateGRU(nn.Module):
    def __init__(self, vocab=50, embedding_dim=8, hidden_dim=12, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.gru = nn.GRU(embedding_dim, hidden_dim, num_layers=2)
        self.fc = nn.Linear(hidden_dim, classes)

    def forward(self, text):  # (B, L)
        _, h_n = self.gru(self.embedding(text).transpose(0, 1))  # h_n (layers, B, H)
        return self.fc(h_n[-1])


class EveryStepRNN(nn.Module):
    """An RNN's every step, transposed back to the batch first."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(6, 5, nonlinearity="relu")
        self.fc = nn.Linear(5, 2)

    def forward(self, x):  # (B, L, F)
        out, _ = self.rnn(x.transpose(0, 1))
        return self.fc(out.transpose(0, 1))


class FedTheSample(nn.Module):
    def __init__(self, steps=False):
        super().__init__()
        self.lstm, self.steps = nn.LSTM(4, 4), steps

    def forward(self, x):  # (B, L, F)
        if self.steps:  # every step of every sample, one row each
            return self.lstm(x.transpose(0, 1))[0].reshape(-1, 4)
        return self.lstm(x)[0]  # its batch would be the sample's length


def _same(model, shape, dtype="float32"):
    """The design of ``model``'s block types, after checking its shapes, parameter count and
    outputs against the model's on the same weights."""
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, shape, dtype)
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, weights=weights, dtype=dtype) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state)
    x = torch.randint(0, 50, (5, *shape)) if dtype == "int64" else torch.randn(5, *shape)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    output = next(n for n in summary.nodes if n.type == "Output")
    assert got.shape == expected.shape and list(output.output_shape) == list(expected.shape[1:])
    assert torch.allclose(got, expected, atol=1e-5)
    return [n.type for n in graph.nodes]


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_tutorials_sequence_first_lstm_classifier_imports(bidirectional):
    types = _same(TutorialLSTM(bidirectional=bidirectional), (7,), "int64")
    assert "Permute" not in types and types.count("LSTM") == 1
    assert types[:2] == ["Input", "Embedding"] and types[-2:] == ["Linear", "Output"]


def test_a_sequence_first_lstms_last_step_spelled_out_imports():
    types = _same(WholeIndexLSTM(), (7,), "int64")
    assert "Permute" not in types and types.count("LSTM") == 1


@pytest.mark.parametrize("shape", [False, True], ids=["size(1)", "shape[1]"])
def test_a_sequence_first_lstm_given_a_zero_state_of_the_permuted_batch_imports(shape):
    types = _same(ZeroStateLSTM(shape), (7,), "int64")
    assert "Permute" not in types and types.count("LSTM") == 1


def test_a_sequence_first_gru_classifying_its_last_state_imports():
    types = _same(LastStateGRU(), (7,), "int64")
    assert "Permute" not in types and types.count("GRU") == 1


def test_a_sequence_first_rnns_every_step_imports():
    types = _same(EveryStepRNN(), (7, 6))
    assert types == ["Input", "RNN", "Linear", "Output"]


def test_the_model_keeps_its_recurrent_modules_sequence_first():
    model = TutorialLSTM().eval()
    import_torch(model, (7,), "int64")
    assert not model.lstm.batch_first


def test_a_sequence_first_lstm_used_otherwise_is_refused_with_the_fix():
    with pytest.raises(GraphError, match=r"^test_import_sequence_first_rnn\.py:\d+: cannot "
                                         r"import lstm \(LSTM\): batch_first=False \(LayerLoom "
                                         r"sequences are \[batch, length, features\]\); fix: "
                                         r"construct it with batch_first=True"):
        import_torch(FedTheSample().eval(), (5, 4))


def test_its_steps_made_rows_are_refused_at_the_reshape_with_the_fix():
    # before, at the LSTM ("construct it with batch_first=True"), after which the reshape was
    # refused in its turn, with no fix
    with pytest.raises(GraphError, match=r"^test_import_sequence_first_rnn\.py:95: cannot "
                                         r"import Tensor.reshape in FedTheSample.forward: it "
                                         r"reshapes \[5, 3, 4\] \(steps first, as lstm built "
                                         r"sequence-first gives them\) to \[15, 4\], moving "
                                         r"the batch dimension; it makes every step of every "
                                         r"sample a row .*; fix: drop the reshape and keep "
                                         r"\[batch, steps, 4\]"):
        import_torch(FedTheSample(steps=True).eval(), (5, 4))
