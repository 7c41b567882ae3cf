"""A causal mask given to torch's attention, as users and PyTorch's tutorials write it::

    mask = nn.Transformer.generate_square_subsequent_mask(L)       # -inf above the diagonal
    y = self.attn(x, x, x, attn_mask=mask)[0]                      # nn.MultiheadAttention
    out = self.transformer(src, tgt, None, tgt_mask)               # the translation tutorial
    out = self.decoder(x, memory, tgt_mask=mask, tgt_is_causal=True)

imports as the MultiheadAttention block's ``is_causal`` (the decoder's and nn.Transformer's
self-attention, traced through their layers), and the design gives the model's numbers at the
traced length and another, in generated code too. Before, each was refused: the attention
"which the MultiheadAttention block does not take", nn.Transformer and nn.TransformerDecoder
given a mask with "torch.fx cannot trace ...: its control flow ... depends on the data (at
decoders.py line 42 ...)", a LayerLoom file. A mask computed from the input's values is still
refused, saying what imports."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code
from layerloom.graph.import_torch import import_torch


class CausalAttention(nn.Module):
    def __init__(self, batch_first=True):
        super().__init__()
        self.batch_first = batch_first
        self.emb = nn.Embedding(30, 16)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=batch_first)
        self.fc = nn.Linear(16, 30)

    def forward(self, ids):  # (B, S)
        x = self.emb(ids) if self.batch_first else self.emb(ids.t())
        mask = nn.Transformer.generate_square_subsequent_mask(x.size(1 if self.batch_first
                                                                     else 0))
        y = self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]
        return self.fc(y if self.batch_first else y.transpose(0, 1))


class Seq2SeqTransformer(nn.Module):
    """PyTorch's translation tutorial's model (sequence-first nn.Transformer), small."""

    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1,
                                          num_decoder_layers=2, dim_feedforward=32)
        self.generator = nn.Linear(16, 30)
        self.src_tok_emb = nn.Embedding(30, 16)
        self.tgt_tok_emb = nn.Embedding(30, 16)

    def forward(self, src, trg):  # (B, S), (B, T)
        src, trg = src.t(), trg.t()
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(trg.size(0))
        outs = self.transformer(self.src_tok_emb(src), self.tgt_tok_emb(trg), None, tgt_mask)
        return self.generator(outs).transpose(0, 1)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.memory = nn.Linear(8, 16)
        layer = nn.TransformerDecoderLayer(16, 2, 32, batch_first=True)
        self.dec = nn.TransformerDecoder(layer, 2)
        self.fc = nn.Linear(16, 30)

    def forward(self, ids, features):  # (B, T), (B, S, 8)
        mask = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
        return self.fc(self.dec(self.emb(ids), self.memory(features), tgt_mask=mask,
                                tgt_is_causal=True))


def _runs(model, graph, weights, inputs):
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(*inputs), model(*inputs), atol=1e-5, rtol=0)
    return compiled


def _sized(graph, *shapes):
    other = graph.copy()
    for node, shape in zip([n for n in other.nodes if n.type == "Input"], shapes):
        node.params["shape"] = list(shape)
    return other


@pytest.mark.parametrize("batch_first", [True, False])
def test_an_attention_given_the_causal_mask_imports_as_is_causal(batch_first):
    torch.manual_seed(0)
    model = CausalAttention(batch_first).eval()
    graph, weights = import_torch(model, [10], "int64")
    assert graph.node("attn").params["is_causal"] is True
    for length in (10, 14):
        ids = torch.randint(0, 30, (3, length))
        _runs(model, _sized(graph, (length,)), weights, [ids])
    with torch.no_grad():  # the mask changes the answer: one that did nothing would differ
        x = model.emb(ids) if batch_first else model.emb(ids.t())
        free = model.attn(x, x, x, need_weights=False)[0]
        free = model.fc(free if batch_first else free.transpose(0, 1))
        assert (free - model(ids)).abs().max() > 1e-3


def test_the_translation_tutorials_transformer_imports_with_its_causal_target_mask():
    torch.manual_seed(0)
    model = Seq2SeqTransformer().eval()
    graph, weights = import_torch(model, [(8,), (6,)], ["int64", "int64"])
    causal = {n.id: n.params.get("is_causal", False) for n in graph.nodes
              if n.type == "MultiheadAttention"}
    assert causal == {"transformer_decoder_layers_0_self_attn": True,
                      "transformer_decoder_layers_0_multihead_attn": False,
                      "transformer_decoder_layers_1_self_attn": True,
                      "transformer_decoder_layers_1_multihead_attn": False}, causal
    for lengths in ((8, 6), (11, 9)):
        inputs = [torch.randint(0, 30, (3, n)) for n in lengths]
        _runs(model, _sized(graph, *[(n,) for n in lengths]), weights, inputs)


def test_a_decoder_given_tgt_mask_imports_and_writes_code_that_gives_its_numbers():
    torch.manual_seed(0)
    model = Decoder().eval()
    graph, weights = import_torch(model, [(7,), (5, 8)], ["int64", "float32"])
    inputs = [torch.randint(0, 30, (3, 7)), torch.randn(3, 5, 8)]
    compiled = _runs(model, graph, weights, inputs)
    code = generate_code(graph)
    assert code.count("is_causal=True") == 2, code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    written = namespace["Decoder"]().eval()
    written.load_state_dict(compiled.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(written(*inputs), model(*inputs), atol=1e-5, rtol=0)


def test_a_mask_computed_from_the_inputs_values_is_still_refused(line_of):
    class DataMask(CausalAttention):
        def forward(self, ids):
            x = self.emb(ids)
            mask = torch.triu(torch.ones(ids.size(1), ids.size(1)), 1).bool() | (x.sum() > 1e9)
            return self.fc(self.attn(x, x, x, attn_mask=mask)[0])  # masked

    with pytest.raises(GraphError) as caught:
        import_torch(DataMask().eval(), [10], "int64")
    message = str(caught.value)
    line = int(line_of("masked").split(":")[1]) - 1  # the mask's own line
    assert message.startswith(f"test_import_causal_attention.py:{line}: cannot import "), message
    assert "F.scaled_dot_product_attention(q, k, v, is_causal=True)" in message
