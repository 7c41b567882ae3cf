"""A decoder state repeated beside each step of the encoder's outputs, as Bahdanau's attention
is written in bentrevett's pytorch-seq2seq (``hidden.unsqueeze(1).repeat(1, src_len, 1)``, with
``src_len = encoder_outputs.shape[1]``, then joined with the outputs), imports as a RepeatTo
block given the outputs for their length, so the design runs at any length, as the model does.

Before, the import stopped at the repeat: "cannot import Tensor.repeat ...: no LayerLoom block
does this; fix: x.repeat(...) copies the tensor along dimensions, and no block does; where the
copies are added to or multiplied with another tensor, leave the repeat out" — here they are
joined, and nothing could be left out."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class Attention(nn.Module):
    def __init__(self, enc_hid_dim, dec_hid_dim, expand=False):
        super().__init__()
        self.attn = nn.Linear(enc_hid_dim * 2 + dec_hid_dim, dec_hid_dim)
        self.v = nn.Linear(dec_hid_dim, 1, bias=False)
        self.expand = expand

    def forward(self, hidden, encoder_outputs):
        src_len = encoder_outputs.shape[1]
        if self.expand:
            hidden = hidden.unsqueeze(1).expand(-1, encoder_outputs.size(1), -1)
        else:
            hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)
        energy = torch.tanh(self.attn(torch.cat((hidden, encoder_outputs), dim=2)))
        return F.softmax(self.v(energy).squeeze(2), dim=1)


class Seq2SeqEncoder(nn.Module):
    """The encoder and one attention step of the tutorial's model, batch first, classifying."""

    def __init__(self, vocab=30, emb=8, enc_hid=6, dec_hid=8, classes=4, expand=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, enc_hid, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(enc_hid * 2, dec_hid)
        self.attention = Attention(enc_hid, dec_hid, expand)
        self.out = nn.Linear(enc_hid * 2 + dec_hid, classes)

    def forward(self, src):
        outputs, hidden = self.rnn(self.embedding(src))
        hidden = torch.tanh(self.fc(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
        a = self.attention(hidden, outputs).unsqueeze(1)
        weighted = torch.bmm(a, outputs).squeeze(1)
        return self.out(torch.cat((weighted, hidden), dim=1))


@pytest.mark.parametrize("expand", [False, True])
def test_bahdanaus_repeated_state_imports_as_repeat_to(expand):
    torch.manual_seed(0)
    model = Seq2SeqEncoder(expand=expand).eval()
    graph, weights = import_torch(model, (10,), "int64")
    repeat = next(n for n in graph.nodes if n.type == "RepeatTo")
    assert repeat.params == {"dim": 0}
    ports = {e.port: e.source for e in graph.edges if e.target == repeat.id}
    assert ports["like"] == next(n.id for n in graph.nodes if n.type == "GRU")  # the outputs
    shapes = {n.id: n.output_shape for n in summarize(graph).nodes}
    assert shapes[repeat.id] == [10, 8]
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (10,), "int64", weights=weights) < 1e-5
    for length in (10, 17):
        other = graph.copy()
        next(n for n in other.nodes if n.type == "Input").params["shape"] = [length]
        compiled = compile_graph(other).eval()
        compiled.load_state_dict(state, strict=True)
        ids = torch.randint(0, 30, (3, length))
        with torch.no_grad():
            torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=1e-5)


def test_a_repeat_by_a_number_is_still_refused():
    class Tiled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 6)

        def forward(self, x):
            return torch.cat([self.fc(x).unsqueeze(1).repeat(1, 4, 1), x.unsqueeze(1)], 1)

    with pytest.raises(GraphError, match=r"Tensor\.repeat .*no LayerLoom block does this"):
        import_torch(Tiled().eval(), (6,))
