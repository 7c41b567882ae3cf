"""Refusals that say what to change: Hugging Face BERT's ``position_ids`` buffer (an arange)
imports as learned positions, its all-zero token types as TokenTypeEmbedding (zeros used for
more than the lookup say so); an einsum that is a matmul with a parameter gets the nn.Linear
fix (it got attention's); nn.MultiheadAttention with a causal mask gets the SDPA rewrite;
``max_norm``, ``proj_size``, ``repeat`` say what the option or call does (``torch.exp``, once
among them, is the Exp block: test_import_exp.py), a constant made in forward and multiplied
says what maps (a hand-written channels-first LayerNorm
imports: test_import_channels_first_norm.py; PointNet's identity added:
test_import_constants.py); CELU and SELU import as blocks of their own. Before, "max_norm",
"proj_size", "no LayerLoom block does this" and "uses the parameter 'position_ids'"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import check_import, import_torch


class Embeddings(nn.Module):  # Hugging Face's BertEmbeddings, cut down
    def __init__(self, types: str):
        super().__init__()
        self.types = types
        self.word_embeddings = nn.Embedding(30, 8)
        self.position_embeddings = nn.Embedding(16, 8)
        self.token_type_embeddings = nn.Embedding(2, 8)
        self.register_buffer("position_ids", torch.arange(16).expand((1, -1)), persistent=False)
        self.register_buffer("token_type_ids", torch.zeros(1, 16, dtype=torch.long),
                             persistent=False)

    def forward(self, input_ids):
        length = input_ids.size(1)
        e = self.word_embeddings(input_ids) + self.position_embeddings(
            self.position_ids[:, :length])
        if self.types == "buffer":
            e = e + self.token_type_embeddings(self.token_type_ids[:, :length])
        elif self.types == "zeros_like":
            e = e + self.token_type_embeddings(torch.zeros_like(input_ids))
        elif self.types == "used_twice":
            types = torch.zeros_like(input_ids)
            e = e + self.token_type_embeddings(types) + types.unsqueeze(-1).float()
        return e


def refusal(model, shape=(8,), dtype="float32") -> str:
    with pytest.raises(GraphError) as caught:
        import_torch(model, shape, dtype)
    return str(caught.value)


def test_a_position_ids_buffer_imports_as_learned_positions():
    model = Embeddings("none").eval()
    graph, weights = import_torch(model, (10,), "int64")
    assert [n.type for n in graph.nodes] == ["Input", "Embedding", "PositionalEmbedding",
                                             "Output"]
    assert weights["position_embeddings.weight"] == "position_embeddings.weight"
    assert check_import(model, graph, weights.apply(model.state_dict()), (10,), "int64") < 1e-6


def test_token_types_of_zeros_import_and_zeros_used_twice_say_so():
    """Buffer and zeros_like alike import (test_import_token_types.py); ids used for more than
    the lookup are refused at the zeros, saying what imports."""
    for types in ("buffer", "zeros_like"):
        graph, _ = import_torch(Embeddings(types).eval(), (10,), "int64")
        assert [n.type for n in graph.nodes][1:-1] == [
            "Embedding", "PositionalEmbedding", "TokenTypeEmbedding"]
    message = refusal(Embeddings("used_twice"), (10,), "int64")
    assert message.endswith(
        "cannot import torch.zeros_like in Embeddings.forward: no LayerLoom block does this; "
        "fix: it makes token type ids all alike for token_type_embeddings, and they are used "
        "for more than that lookup; ids of one type that token_type_embeddings alone looks "
        "up, added to the token embeddings (e = e + "
        "self.token_type_embeddings(torch.zeros_like(input_ids))), import as a "
        "TokenTypeEmbedding block: make the other uses' tensor apart")


def test_a_buffer_is_called_a_buffer():
    class AddsBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 2 * 80 * 80)
            self.register_buffer("big", torch.randn(80, 80))

        def forward(self, x):  # a small one added whole imports (test_import_constants.py)
            return self.fc(x).view(-1, 2, 80, 80) + self.big

    assert ("it adds the buffer 'big' [80, 80] to a [2, 80, 80] input; only a positional "
            "table added to a [L, D] sequence as `x + table[:L]` maps to a block "
            "(PositionalEmbedding), and a buffer added whole that broadcasts to the input, of "
            "at most 4096 values, to Normalize (a constant)") in refusal(AddsBuffer())


def test_an_einsum_with_a_parameter_is_told_to_use_a_linear_layer():
    class EinsumLinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(8, 4))

        def forward(self, x):
            return torch.einsum("bd,do->bo", x, self.w)

    assert refusal(EinsumLinear()).endswith(
        "no LayerLoom block does this; fix: 'bd,do->bo' is a matmul with the parameter 'w' "
        "[8, 4], which is a linear layer: hold it in nn.Linear(8, 4) (its weight is w.T, plus "
        "any bias added after) and call the layer on the input")


def test_attention_with_a_mask_other_than_the_causal_one_is_told_the_sdpa_rewrite():
    class Masked(nn.Module):  # a causal mask imports: test_import_causal_attention.py
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
            self.register_buffer("mask", torch.ones(6, 6, dtype=torch.bool).triu(3))

        def forward(self, x):
            return self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0]

    assert refusal(Masked(), (6, 8)).endswith(
        ": cannot import attn (MultiheadAttention): it is given an attn_mask other than a "
        "causal one, which no block takes (a padding mask imports as key_padding_mask=ids == "
        "pad_id); only a causal mask has a rewrite: compute the attention with "
        "F.scaled_dot_product_attention(q, k, v, is_causal=True) (the ScaledDotProductAttention "
        "block), q, k and v from nn.Linear layers split into heads (.view(B, L, heads, "
        "head_dim).transpose(1, 2)) and an nn.Linear after it, as nanoGPT does")


def test_layer_options_say_what_they_do():
    assert refusal(nn.Sequential(nn.Embedding(30, 8, max_norm=1.0)), (5,), "int64") == (
        "cannot import 0 (Embedding): max_norm=1 (each row looked up is scaled down, in place, "
        "to a norm of at most 1; the Embedding block keeps its rows as they are): construct it "
        "without max_norm to import it (the outputs then differ where a row's norm is above "
        "1: the import's check says so)")
    assert refusal(nn.Sequential(nn.LSTM(8, 6, proj_size=3, batch_first=True)), (5, 8)) == (
        "cannot import 0 (LSTM): proj_size=3 (an LSTM with projections: each step's hidden "
        "state is projected to 3 values by a learned matrix, weight_hr, and fed back so; the "
        "LSTM block has no projection, and an nn.Linear after it is not the same model): only "
        "proj_size=0 imports")


class Calls(nn.Module):
    def __init__(self, call):
        super().__init__()
        self.fc = nn.Linear(8, 9)
        self.call = call

    def forward(self, x):
        y = self.fc(x)
        if self.call == "repeat":
            return y.repeat(1, 2)
        raise ValueError(self.call)


@pytest.mark.parametrize(("call", "words"), [
    ("repeat", "fix: x.repeat(...) copies the tensor along dimensions, and no block does; "
               "where the copies are added to or multiplied with another tensor, leave the "
               "repeat out: Add and Multiply broadcast"),
])
def test_calls_without_a_block_say_what_to_write(call, words):
    assert f"no LayerLoom block does this; {words}" in refusal(Calls(call))


def test_a_constant_made_in_forward_is_refused_where_it_is_used_but_added():
    """torch.eye(...) added imports (test_import_constants.py); multiplied, it is refused at
    the product, with what maps."""
    class Times(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 9)

        def forward(self, x):
            return self.fc(x) * torch.eye(3, device=x.device).view(1, 9)

    assert refusal(Times()).endswith(
        "cannot import operator.mul in Times.forward: its other is a constant tensor made in "
        "forward (such as torch.tensor([...]) or torch.eye(3)); of fixed values, only one per "
        "channel added or subtracted and a std per channel divided by, (x - mean) / std, map "
        "to a block (Normalize); else make it a learned parameter of a layer")


def test_celu_and_selu_import_as_blocks():
    class Activations(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 6), nn.Sequential(nn.Linear(4, 6), nn.SELU(),
                                                            nn.CELU(0.5))

        def forward(self, x):
            return F.selu(self.a(x)) + F.celu(self.b(x), alpha=2.0)

    model = Activations().eval()
    graph, weights = import_torch(model, (4,))
    assert [(n.type, n.params) for n in graph.nodes if n.type in ("CELU", "SELU")] == [
        ("SELU", {}), ("SELU", {}), ("CELU", {"alpha": 0.5}), ("CELU", {"alpha": 2.0})]
    assert check_import(model, graph, weights.apply(model.state_dict()), (4,)) < 1e-6
