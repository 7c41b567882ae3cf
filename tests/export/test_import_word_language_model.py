"""PyTorch's examples/word_language_model RNNModel: an LSTM built sequence-first, its decoder's
scores turned into log-probabilities over the vocabulary (``F.log_softmax(decoded, dim=-1)``)
and given back batch-first. The softmax over the last dimension moves past the sequence-first
transposes as the decoder does, and the design gives the model's numbers at the traced length
and another; before, it was refused at that line ("dims [1, 0, 2] move the batch dimension").
The example's own ``decoded.view(-1, ntoken)`` (steps and samples as rows) is refused at a line
of the model; before, the import crashed in its own rewrite ("view size is not compatible with
input tensor's size and stride")."""

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
            decoded = decoded.view(-1, self.ntoken)
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


def test_its_steps_and_samples_as_rows_are_refused_at_a_line_of_the_model(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(RNNModel(rows=True).eval(), [12], "int64")
    assert str(caught.value).startswith(
        f"{line_of('rnn')}: cannot import Tensor.permute in RNNModel.forward: dims "
        f"[1, 0, 2] move the batch dimension; fix: make rnn batch_first=True")
