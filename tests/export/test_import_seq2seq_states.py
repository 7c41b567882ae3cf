"""A seq2seq model fed the whole target (teacher forcing at every step, no loop): its decoder
started from the encoder's final state, ``self.decoder(embedded, hidden)`` for a GRU,
``(h, c)`` for an LSTM. No recurrent block takes an initial state, so it is refused, saying
where the state comes from and what imports: the encoder's state given beside every step
(Cho et al.'s decoder), which imports with the model's numbers at any target length. Before,
the GRU was refused with "it is called with more than its input (masks, initial states and
extra arguments have no block equivalent)" and the LSTM with "the LSTM's cell state c has no
block equivalent", neither saying what to write."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class Seq2Seq(nn.Module):
    def __init__(self, rnn=nn.GRU, vocab=20, emb=8, hid=16, context=False):
        super().__init__()
        self.src_emb, self.trg_emb = nn.Embedding(vocab, emb), nn.Embedding(vocab, emb)
        self.encoder = rnn(emb, hid, batch_first=True)
        self.decoder = rnn(emb + hid if context else emb, hid, batch_first=True)
        self.fc_out, self.context = nn.Linear(hid, vocab), context

    def forward(self, src, trg):
        _, hidden = self.encoder(self.src_emb(src))  # encoder
        embedded = self.trg_emb(trg)
        lstm = isinstance(self.encoder, nn.LSTM)
        if self.context:  # Cho et al.: the encoder's state beside every step
            state = hidden[0] if lstm else hidden
            context = state[-1].unsqueeze(1).repeat(1, embedded.size(1), 1)
            out, _ = self.decoder(torch.cat([embedded, context], dim=2))
        else:
            out, _ = self.decoder(embedded, hidden)  # decoder
        return self.fc_out(out)


class Unpacked(Seq2Seq):
    """An LSTM's state unpacked, then given to the decoder as (h, c)."""

    def __init__(self):
        super().__init__(nn.LSTM)

    def forward(self, src, trg):
        _, (h, c) = self.encoder(self.src_emb(src))  # unpacked
        out, _ = self.decoder(self.trg_emb(trg), (h, c))  # given
        return self.fc_out(out)


SHAPES, DTYPES = [(7,), (6,)], ["int64", "int64"]


@pytest.mark.parametrize("rnn", [nn.GRU, nn.LSTM])
def test_a_decoder_started_from_the_encoders_state_is_refused_saying_what_imports(rnn, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Seq2Seq(rnn).eval(), SHAPES, DTYPES)
    text = str(caught.value)
    name = rnn.__name__
    assert text.startswith(f"{line_of('decoder')}: cannot import decoder ({name}): it is given "
                           f"an initial state besides its input (the final state of encoder "
                           f"({name})); no {name} block takes an initial state (each starts "
                           f"from zeros); fix: for a seq2seq decoder started from its encoder's "
                           f"final state, give the decoder that state beside every step")
    assert "context = hidden[-1].unsqueeze(1).repeat(1, embedded.size(1), 1)" in text
    assert "nn.Transformer given the whole target sequence with a causal tgt_mask" in text


def test_an_lstms_h_and_c_given_to_a_decoder_are_refused_at_c_naming_the_decoder(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Unpacked().eval(), SHAPES, DTYPES)
    assert str(caught.value).startswith(
        f"{line_of('unpacked')}: cannot import operator.getitem in Unpacked.forward: the LSTM's "
        f"cell state c is given to decoder (LSTM) at {line_of('given')} as part of its initial "
        f"state; no LSTM block takes an initial state")


@pytest.mark.parametrize("rnn", [nn.GRU, nn.LSTM])
def test_the_fix_it_names_imports_with_the_models_numbers_at_another_length(rnn):
    torch.manual_seed(0)
    model = Seq2Seq(rnn, context=True).eval()
    graph, weights = import_torch(model, SHAPES, DTYPES)
    state = weights.apply(model.state_dict())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert check_import(model, graph, state, SHAPES, DTYPES, weights=weights) < 1e-5
    assert "RepeatTo" in [n.type for n in graph.nodes]
    other = graph.copy()
    for node, length in zip([n for n in other.nodes if n.type == "Input"], (9, 11)):
        node.params["shape"] = [length]
    compiled = compile_graph(other).eval()
    compiled.load_state_dict(state, strict=True)
    src, trg = torch.randint(0, 20, (2, 9)), torch.randint(0, 20, (2, 11))
    with torch.no_grad():
        torch.testing.assert_close(compiled(src, trg), model(src, trg), atol=1e-5, rtol=0)
