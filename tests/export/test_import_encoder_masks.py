"""Masks given to torch's transformer encoder, as users write them. PyTorch's own tutorial
("Language Modeling with nn.Transformer", its word_language_model example) builds the encoder
sequence-first and calls it with a causal mask::

    src_mask = nn.Transformer.generate_square_subsequent_mask(src.size(0))
    output = self.transformer_encoder(src, src_mask)

Such a mask (or ``torch.triu`` of ``-inf``, or of True) imports as the TransformerEncoderLayer
block's ``is_causal``, beside a ``src_key_padding_mask=ids == 0`` (a PaddingMask block), and
the design gives the model's numbers at the traced length and at another. Before, the tutorial
stopped at its ``src.t()`` ("no LayerLoom block does this"), then at its call ("it is called
with more than its input"), and a batch-first encoder given ``mask=..., is_causal=True`` was
refused. A mask that is not the causal one is refused at the call, saying which masks import.

The tutorial's 2019 version (and examples/word_language_model's TransformerModel) keeps its mask
in ``self.src_mask``, made again where ``len(src)`` differs; tracing left a traced value there,
which the next trace read, and the import said "it slices a tensor attribute by a size of the
input" at its positional encoding. The model's attributes are now as they were after each
trace, and it imports."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code
from layerloom.graph.import_torch import import_torch


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):  # (S, B, E)
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    """The tutorial's model, small, given [B, S] ids (as LayerLoom's datasets give them)."""

    def __init__(self, ntoken=50, d_model=16, nhead=2, d_hid=32, nlayers=2, dropout=0.2,
                 mask="square"):
        super().__init__()
        self.mask = mask
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def causal(self, length):
        if self.mask == "square":
            return nn.Transformer.generate_square_subsequent_mask(length)
        if self.mask == "triu":
            return torch.triu(torch.ones(length, length) * float("-inf"), diagonal=1)
        if self.mask == "bool":
            return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        return torch.ones(length, length, dtype=torch.bool).triu(3)  # a window: not causal

    def forward(self, src):
        padding = src == 0  # (B, S)
        src = src.t()  # (S, B)
        src_mask = self.causal(src.size(0))
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if self.mask == "none":
            output = self.transformer_encoder(src)
        elif self.mask == "both":
            output = self.transformer_encoder(src, nn.Transformer.generate_square_subsequent_mask(
                src.size(0)), src_key_padding_mask=padding)
        else:
            output = self.transformer_encoder(src, src_mask)  # the call
        return self.linear(output).transpose(0, 1)  # (B, S, ntoken)


class BatchFirstCausal(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(16, 3)

    def forward(self, ids):
        mask = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
        return self.head(self.enc(self.emb(ids), mask=mask, is_causal=True))


def _ids(length):
    ids = torch.randint(1, 50, (3, length))
    ids[0, -3:] = 0  # padding at the end of one sample
    return ids


def _compiled(graph, weights, model, length):
    other = graph.copy()
    next(n for n in other.nodes if n.type == "Input").params["shape"] = [length]
    compiled = compile_graph(other).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    return compiled


@pytest.mark.parametrize("mask", ["square", "triu", "bool", "both"])
def test_the_tutorials_sequence_first_causal_encoder_imports_with_its_numbers(mask):
    torch.manual_seed(0)
    model = TransformerModel(mask=mask).eval()
    graph, weights = import_torch(model, [12], "int64")
    encoder = [n for n in graph.nodes if n.type == "TransformerEncoderLayer"]
    assert [(n.params["is_causal"], n.repeat) for n in encoder] == [(True, 2)]
    wired = [e.source for e in graph.edges if e.target == encoder[0].id]
    assert wired == (["pos_encoder_dropout", "padding_mask"] if mask == "both"
                     else ["pos_encoder_dropout"]), wired
    for length in (12, 18):  # the mask follows the length, as the model's
        ids = _ids(length)
        with torch.no_grad():
            want = model(ids)
            torch.testing.assert_close(_compiled(graph, weights, model, length)(ids), want,
                                       atol=1e-5, rtol=0)
    with torch.no_grad():  # the mask changes the model's answer: one that did nothing differs
        unmasked = TransformerModel(mask="none").eval()
        unmasked.load_state_dict(model.state_dict())
        assert (unmasked(ids) - want).abs().max() > 1e-3


def test_a_batch_first_encoder_given_the_causal_mask_and_is_causal_imports():
    torch.manual_seed(0)
    model = BatchFirstCausal().eval()
    graph, weights = import_torch(model, [10], "int64")
    assert graph.node("enc").params["is_causal"] is True
    ids = _ids(10)
    with torch.no_grad():
        torch.testing.assert_close(_compiled(graph, weights, model, 10)(ids), model(ids),
                                   atol=1e-5, rtol=0)


def test_the_causal_design_writes_code_that_gives_its_numbers():
    torch.manual_seed(0)
    model = BatchFirstCausal().eval()
    graph, weights = import_torch(model, [10], "int64")
    code = generate_code(graph)
    assert "is_causal=True" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    written = namespace["BatchFirstCausal"]().eval()
    written.load_state_dict(compiled.state_dict(), strict=True)
    ids = _ids(10)
    with torch.no_grad():
        torch.testing.assert_close(written(ids), model(ids), atol=1e-5, rtol=0)


def test_a_mask_other_than_the_causal_one_is_refused_at_the_call(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(TransformerModel(mask="window").eval(), [12], "int64")
    message = str(caught.value)
    assert message.startswith(f"{line_of('the call')}: cannot import transformer_encoder "
                              f"(TransformerEncoder): its mask is not the causal one; the "
                              f"TransformerEncoderLayer block takes a causal mask"), message
    assert message.endswith("give it such a mask, or none (every step then attends to every "
                            "other)")


class TransformerModel2019(nn.Module):
    """The tutorial's 2019 model, small, given [B, S] ids."""

    def __init__(self, ntoken=50, ninp=16, nhead=2, nhid=32, nlayers=2, dropout=0.5):
        super().__init__()
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        encoder_layers = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def _generate_square_subsequent_mask(self, sz):
        mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
        return mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, 0.0)

    def forward(self, src):
        src = src.t()
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            device = src.device
            mask = self._generate_square_subsequent_mask(len(src)).to(device)
            self.src_mask = mask
        src = self.encoder(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, self.src_mask)
        return self.decoder(output).transpose(0, 1)


def test_the_2019_tutorial_keeping_its_mask_in_the_model_imports():
    torch.manual_seed(0)
    model = TransformerModel2019().eval()
    graph, weights = import_torch(model, [12], "int64")
    assert model.src_mask is None  # the model as it was given
    encoder = [n for n in graph.nodes if n.type == "TransformerEncoderLayer"]
    assert [(n.params["is_causal"], n.repeat) for n in encoder] == [(True, 2)]
    for length in (12, 18):
        ids = _ids(length)
        with torch.no_grad():
            torch.testing.assert_close(_compiled(graph, weights, model, length)(ids), model(ids),
                                       atol=1e-5, rtol=0)
