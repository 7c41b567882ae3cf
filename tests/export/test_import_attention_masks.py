"""Attention given a mask, as users write it. A key padding mask made from the ids
(``pad = ids == 0``) for ``nn.MultiheadAttention(key_padding_mask=pad)`` or
``nn.TransformerEncoder(src_key_padding_mask=pad)`` imports as a PaddingMask block feeding the
attention's key_padding_mask (the encoder layers' src_key_padding_mask, every copy of the
repeated block): the design gives the model's numbers on padded batches (before, it was
refused: "cannot import operator.eq: no LayerLoom block does this"). ``mask=...,
is_causal=True`` given to the encoder, a causal mask, imports as the block's ``is_causal``
(``test_import_encoder_masks.py``). An encoder whose nested tensors give zeros at the
padding in evaluation is refused at the line that calls it, saying what to write instead; a
mask made otherwise is refused at its line, saying which mask imports."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch import import_torch


class PaddedAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16, padding_idx=0)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, ids):
        pad = ids == 0  # mha mask
        x = self.emb(ids)
        y, _ = self.attn(x, x, x, key_padding_mask=pad)
        return self.head(y.mean(1))


class PaddedEncoder(nn.Module):
    def __init__(self, causal=False, nested=False):
        super().__init__()
        self.causal = causal
        self.emb = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=nested)
        self.head = nn.Linear(16, 3)

    def forward(self, ids):
        if self.causal:
            mask = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
            return self.head(self.enc(self.emb(ids), mask=mask, is_causal=True))  # causal
        pad = ids == 0
        return self.head(self.enc(self.emb(ids), src_key_padding_mask=pad).mean(1))  # encoder


class KeepMaskAttention(PaddedAttention):
    def forward(self, ids):
        keep = ids != 0  # keep mask
        x = self.emb(ids)
        y, _ = self.attn(x, x, x, key_padding_mask=~keep)
        return self.head(y.mean(1))


@pytest.mark.parametrize(("model", "block", "wired"), [
    (PaddedAttention(), "attn", {("emb", "query"), ("emb", "key"), ("emb", "value"),
                                 ("padding_mask", "key_padding_mask")}),
    (PaddedEncoder(), "enc", {("emb", "src"), ("padding_mask", "src_key_padding_mask")})])
def test_a_key_padding_mask_of_the_ids_imports_and_gives_the_models_numbers(model, block,
                                                                             wired):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, [6], "int64")
    types = {n.id: n.type for n in graph.nodes}
    assert types["padding_mask"] == "PaddingMask"
    assert {(e.source, e.port) for e in graph.edges if e.target == block} == wired
    if block == "enc":
        assert graph.node("enc").repeat == 2  # one block repeated, each copy masked
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()))
    ids = torch.tensor([[5, 9, 3, 0, 0, 0], [7, 2, 8, 4, 6, 1], [4, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        want = model(ids)
        torch.testing.assert_close(compiled(ids), want, atol=1e-5, rtol=0)
        # the padding changes the model's answer: a mask that did nothing would not match
        x = model.emb(ids)
        unmasked = model.head(model.attn(x, x, x, need_weights=False)[0].mean(1)
                              if block == "attn" else model.enc(x).mean(1))
    assert (unmasked - want).abs().max() > 1e-3


@pytest.mark.parametrize(("model", "marker", "said"), [
    (KeepMaskAttention(), "keep mask",
     "cannot import operator.ne in KeepMaskAttention.forward: no LayerLoom block does this; "
     "fix: it makes the mask given to attn as key_padding_mask; of masks, only ids == pad_id "
     "(True at padding) given to nn.MultiheadAttention as key_padding_mask imports (a "
     "PaddingMask block), or, for causal attention, F.scaled_dot_product_attention(q, k, v, "
     "is_causal=True); else call attn without key_padding_mask (padded or future steps are "
     "then attended to)"),
    (PaddedEncoder(nested=True), "encoder",
     "cannot import enc (TransformerEncoder): it is built with enable_nested_tensor=True (the "
     "default), so in evaluation without gradients PyTorch gives 0 at the padded steps (what "
     "follows, such as a mean over the steps, takes those zeros), while in training it "
     "computes them; a block computes every step, as training does. Construct it with "
     "enable_nested_tensor=False (the same weights) to import it"),
])
def test_a_mask_is_refused_at_its_line_saying_what_to_change(model, marker, said, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model.eval(), [10], "int64")
    message = str(caught.value)
    assert message.startswith(f"{line_of(marker)}: cannot import "), message
    assert said in message
