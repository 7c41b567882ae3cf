"""PyTorch's examples/word_language_model RNNModel: an LSTM built sequence-first, its decoder's
scores turned into log-probabilities over the vocabulary (``F.log_softmax(decoded, dim=-1)``)
and given back batch-first. The softmax over the last dimension moves past the sequence-first
transposes as the decoder does, and the design gives the model's numbers at the traced length
and another; before, it was refused at that line ("dims [1, 0, 2] move the batch dimension").
The example's own ``decoded.view(-1, ntoken)`` (steps and samples as rows, for ``nn.NLLLoss``)
is refused at that line, saying that it makes every step of every sample a row and to keep the
scores ``[batch, steps, ntoken]`` (softmax over the last dimension, transposed back batch-first),
flattened where the loss is computed. Before, it was refused at the LSTM's line as "Tensor.permute
... dims [1, 0, 2] move the batch dimension; fix: make rnn batch_first=True and drop the permute":
the model has no permute (the import put a transpose after the sequence-first LSTM), and made
batch-first the view was refused again, with no fix. (Earlier still, the import crashed in its
own rewrite.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch import import_torch


class RNNModel(nn.Module):
    def __init__(self, ntoken=30, ninp=16, nhid=16, nlayers=2, dropout=0.5, rows=False,
                 softmax=lambda x: F.log_softmax(x, dim=-1)):
        super().__init__()
        self.ntoken, self.rows, self.softmax = ntoken, rows, softmax
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input):  # (B, S) ids
        emb = self.drop(self.encoder(input.t()))  # (S, B, E)
        output, hidden = self.rnn(emb)  # rnn
        decoded = self.decoder(self.drop(output))
        if self.rows:
            decoded = decoded.view(-1, self.ntoken)  # view
            return F.log_softmax(decoded, dim=1)
        return self.softmax(decoded).transpose(0, 1)  # (B, S, ntoken)


@pytest.mark.parametrize("softmax", [lambda x: F.log_softmax(x, dim=-1),
                                     lambda x: torch.softmax(x, -1), nn.LogSoftmax(dim=-1)])
def test_the_word_language_model_imports_with_its_numbers(softmax):
    torch.manual_seed(0)
    model = RNNModel(softmax=softmax).eval()  # the softmax written three ways
    graph, weights = import_torch(model, [12], "int64")
    assert "Permute" not in [n.type for n in graph.nodes]
    for length in (12, 18):
        other = graph.copy()
        next(n for n in other.nodes if n.type == "Input").params["shape"] = [length]
        compiled = compile_graph(other).eval()
        compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
        ids = torch.randint(0, 30, (3, length))
        with torch.no_grad():
            torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=0)


def _refusal(model) -> str:
    with pytest.raises(GraphError) as caught:
        import_torch(model.eval(), [12], "int64")
    return str(caught.value)


def test_its_steps_and_samples_as_rows_are_refused_at_the_view_saying_what_to_write(line_of):
    text = _refusal(RNNModel(rows=True))
    assert text.startswith(
        f"{line_of('view')}: cannot import Tensor.view in "
        f"RNNModel.forward: it reshapes [12, 3, 30] (steps first, as rnn built sequence-first "
        f"gives them) to [36, 30], moving the batch dimension; it makes every step of every "
        f"sample a row ([36, 30])")
    assert "fix: drop the view and keep [batch, steps, 30]" in text
    assert "F.log_softmax(decoded, dim=-1)" in text and ".transpose(0, 1)" in text
    assert "output.reshape(-1, 30) against targets.reshape(-1)" in text
    assert "permute" not in text  # the model has none: the import put it after the LSTM


class BatchFirstRows(nn.Module):
    """The same written batch-first: the view is refused at its line with the same fix."""

    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = nn.Embedding(30, 16), nn.Linear(16, 30)
        self.rnn = nn.LSTM(16, 16, batch_first=True)

    def forward(self, input):
        output, _ = self.rnn(self.encoder(input))
        decoded = self.decoder(output).reshape(-1, 30)  # reshape
        return F.log_softmax(decoded, dim=1)


def test_batch_first_rows_are_refused_at_the_view_with_the_same_fix(line_of):
    text = _refusal(BatchFirstRows())
    assert text.startswith(
        f"{line_of('reshape')}: cannot import "
        f"Tensor.reshape in BatchFirstRows.forward: it reshapes [3, 12, 30] (batch first) to "
        f"[36, 30], moving the batch dimension; it makes every step of every sample a row")
    assert "fix: drop the reshape and keep [batch, steps, 30]" in text


def test_the_fix_it_names_imports_with_the_models_numbers():
    torch.manual_seed(0)
    model = RNNModel().eval()  # F.log_softmax(decoded, dim=-1).transpose(0, 1)
    graph, weights = import_torch(model, [12], "int64")
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    ids = torch.randint(0, 30, (3, 12))
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=0)
