"""Token types that are all 0, as Hugging Face's BERT makes them when it is given no
``token_type_ids`` (a registered buffer of zeros sliced and expanded, ``torch.zeros_like
(input_ids)``, ``torch.zeros(input_shape, dtype=torch.long)``, ``input_ids.new_zeros``), import
as a TokenTypeEmbedding block on the sequence: the embedding's whole table, row 0 added to every
step. The parameter count and the outputs are the model's, and the design exports. Before, the
import was refused with a rewrite to fold the row into the position table by hand. A lookup of
one type used other than added is refused at its line, with what maps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class BertEmbeddings(nn.Module):
    """transformers' BertEmbeddings (absolute positions), with the ways it and its copies make
    token types when none are given."""

    def __init__(self, types: str, vocab=30, hidden=8, max_positions=16, type_vocab=2):
        super().__init__()
        self.types = types
        self.word_embeddings = nn.Embedding(vocab, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_positions, hidden)
        self.token_type_embeddings = nn.Embedding(type_vocab, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(max_positions).expand((1, -1)),
                             persistent=False)
        self.register_buffer("token_type_ids", torch.zeros(self.position_ids.size(),
                                                           dtype=torch.long), persistent=False)

    def forward(self, input_ids):
        input_shape = input_ids.size()
        seq_length = input_shape[1]
        position_ids = self.position_ids[:, :seq_length]
        if self.types == "buffer":
            buffered_token_type_ids = self.token_type_ids[:, :seq_length]
            token_type_ids = buffered_token_type_ids.expand(input_shape[0], seq_length)
        elif self.types == "zeros":
            token_type_ids = torch.zeros(input_shape, dtype=torch.long,
                                         device=self.position_ids.device)
        elif self.types == "zeros_like":
            token_type_ids = torch.zeros_like(input_ids)
        else:
            token_type_ids = input_ids.new_zeros(input_shape)
        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        embeddings += self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings)


@pytest.mark.parametrize("types", ["buffer", "zeros", "zeros_like", "new_zeros"])
def test_token_types_of_zeros_import_as_the_first_row_added(types, tmp_path):
    torch.manual_seed(0)
    model = BertEmbeddings(types).eval()
    with torch.no_grad():
        model.LayerNorm.weight.normal_()
        model.LayerNorm.bias.normal_()
    graph, weights = import_torch(model, (10,), "int64")
    assert [(n.id, n.type, n.params) for n in graph.nodes[2:4]] == [
        ("token_type_embeddings", "TokenTypeEmbedding", {"num_types": 2, "type_id": 0}),
        ("position_embeddings", "PositionalEmbedding", {"max_len": 16})]
    assert weights["token_type_embeddings.weight"] == "token_type_embeddings.weight"
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == summarize(graph).trainable_params == count == 400
    compiled = compile_graph(graph).eval()
    assert sum(p.numel() for p in compiled.parameters()) == count
    state = weights.apply(model.state_dict())
    compiled.load_state_dict(state, strict=True)
    ids = torch.randint(0, 30, (4, 10), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = model(ids), compiled(ids)
        # without the row of type 0 the outputs would differ: the block adds it
        table = model.token_type_embeddings.weight
        assert table[0].abs().max() > 0.5 and table[1].abs().max() > 0.5
    assert (got - expected).abs().max() < 1e-5
    assert check_import(model, graph, state, (10,), "int64", weights=weights) < 1e-5
    for fmt, name in (("python", "bert.py"), ("torchscript", "bert.pt"), ("onnx", "bert.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=ids).max_abs_diff < 1e-4


def test_the_row_trains_as_the_models_does():
    """Only row 0 gets a gradient, in the model and in the block alike."""
    torch.manual_seed(0)
    model = BertEmbeddings("zeros_like").eval()
    graph, weights = import_torch(model, (10,), "int64")
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    ids = torch.randint(0, 30, (4, 10), generator=torch.Generator().manual_seed(1))
    model(ids).pow(2).sum().backward()
    compiled(ids).pow(2).sum().backward()
    want = model.token_type_embeddings.weight.grad
    got = compiled.get_submodule("token_type_embeddings").weight.grad
    assert want[1].abs().max() == 0 and want[0].abs().max() > 0
    assert (got - want).abs().max() < 1e-5


def test_a_lookup_of_one_type_used_otherwise_is_refused():
    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(30, 8)
            self.types = nn.Embedding(2, 8)

        def forward(self, ids):
            return self.tok(ids) * self.types(torch.zeros_like(ids))

    with pytest.raises(GraphError) as caught:
        import_torch(Gated(), (10,), "int64")
    assert str(caught.value).endswith(
        "cannot import operator.mul in Gated.forward: its other is types looked up with ids "
        "that are all 0, one row of its table at every step; it maps (to TokenTypeEmbedding) "
        "only added to the token embeddings: e = e + "
        "self.token_type_embeddings(torch.zeros_like(input_ids))")
