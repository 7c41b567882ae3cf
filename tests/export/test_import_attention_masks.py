"""Attention given a mask, as users write it, is refused at the line that makes the mask or
calls the layer, naming the layer and the argument and saying what to change: a key padding
mask made from the ids (``ids == 0``) for ``nn.MultiheadAttention(key_padding_mask=...)`` or
``nn.TransformerEncoder(src_key_padding_mask=...)``, and ``mask=..., is_causal=True`` given to
``nn.TransformerEncoder``. Before, the first read "cannot import operator.eq: no LayerLoom block
does this" and the second "it is called with more than its input", neither saying what to do."""

from __future__ import annotations

import pytest
from torch import nn

from layerloom.graph import GraphError
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
    def __init__(self, causal=False):
        super().__init__()
        self.causal = causal
        self.emb = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, ids):
        if self.causal:
            mask = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
            return self.head(self.enc(self.emb(ids), mask=mask, is_causal=True))  # causal
        pad = ids == 0  # encoder mask
        return self.head(self.enc(self.emb(ids), src_key_padding_mask=pad).mean(1))


@pytest.mark.parametrize(("model", "marker", "said"), [
    (PaddedAttention(), "mha mask",
     "cannot import operator.eq in PaddedAttention.forward: no LayerLoom block does this; fix: "
     "it makes the mask given to attn as key_padding_mask, and no block takes a mask (a "
     "design's attention attends to every step); call attn without key_padding_mask (padded or "
     "future steps are then attended to), or, for causal attention, "
     "F.scaled_dot_product_attention(q, k, v, is_causal=True), which imports"),
    (PaddedEncoder(), "encoder mask",
     "fix: it makes the mask given to enc as src_key_padding_mask, and no block takes a mask"),
    (PaddedEncoder(causal=True), "causal",
     "cannot import enc (TransformerEncoder): it is called with mask, is_causal besides its "
     "input; no block takes a mask (a design's attention attends to every step): call it with "
     "its input alone (padded or future steps are then attended to), or, for causal attention, "
     "write the attention with F.scaled_dot_product_attention(q, k, v, is_causal=True), which "
     "imports"),
])
def test_a_mask_is_refused_at_its_line_saying_what_to_change(model, marker, said, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model.eval(), [10], "int64")
    message = str(caught.value)
    assert message.startswith(f"{line_of(marker)}: cannot import "), message
    assert said in message
