"""T5's self-attention as transformers' modeling_t5 writes it (T5Attention without a cache or
masks): its relative position bias, an ``nn.Embedding(num_buckets, n_heads)`` looked up by the
bucketed relative positions ``memory_position - context_position`` (two ``torch.arange``) and
added to the attention scores, imports as one RelativePositionBias block on the scores holding
the embedding's table (``num_buckets``, ``max_distance`` and the direction read from the
module's ``relative_attention_max_distance`` and ``is_decoder``, the bias checked against the
model's value by value), an encoder's and a decoder's; it runs at any length, as the model does.
The parameter count and the outputs are the model's, at another length too, and the design
exports to code, TorchScript and ONNX. Before, the import stopped at the positions ("only an
nn.Embedding of them added to the token embeddings maps"). A bias whose buckets are not T5's
rule for what the module says is refused, naming the embedding."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class T5Attention(nn.Module):
    def __init__(self, d_model=16, n_heads=2, has_relative_attention_bias=True,
                 relative_attention_num_buckets=8, relative_attention_max_distance=16):
        super().__init__()
        self.d_model, self.n_heads = d_model, n_heads
        self.key_value_proj_dim = d_model // n_heads
        self.inner_dim = d_model
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.has_relative_attention_bias = has_relative_attention_bias
        self.is_decoder = False
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.o = nn.Linear(d_model, d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(relative_attention_num_buckets, n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
        )
        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        if device is None:
            device = self.relative_attention_bias.weight.device
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position,
            bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)
        values = values.permute([2, 0, 1]).unsqueeze(0)
        return values

    def forward(self, hidden_states):
        batch_size, seq_length = hidden_states.shape[:2]
        q = self.q(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        k = self.k(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        v = self.v(hidden_states).view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(3, 2))
        position_bias = self.compute_bias(seq_length, seq_length, device=scores.device)
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_output = torch.matmul(attn_weights, v)
        attn_output = attn_output.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)
        return self.o(attn_output)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = T5Attention()
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.attn(x).mean(1))


@pytest.mark.parametrize("decoder", [False, True])
def test_t5s_relative_position_bias_imports_as_a_block(decoder, tmp_path):
    torch.manual_seed(0)
    model = Net().eval()
    model.attn.is_decoder = decoder
    graph, weights = import_torch(model, (10, 16))
    bias = next(n for n in graph.nodes if n.type == "RelativePositionBias")
    assert (bias.id, bias.params) == ("attn_relative_attention_bias", {
        "num_buckets": 8, "max_distance": 16, **({"bidirectional": False} if decoder else {})})
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 1_091
    state = weights.apply(model.state_dict())
    assert torch.equal(state["attn_relative_attention_bias.relative_attention_bias.weight"],
                       model.attn.relative_attention_bias.weight.detach())
    assert check_import(model, graph, state, (10, 16), weights=weights) < 1e-5
    other = check_other_size(model, graph, state, [(10, 16)], ["float32"])
    assert other.shapes == [(15, 16)] and other.warning is None
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(3, 40, 16, generator=torch.Generator().manual_seed(1))  # past max_distance
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x[:, :10]).max_abs_diff < 1e-5


def test_buckets_other_than_what_the_module_says_are_refused():
    torch.manual_seed(0)
    model = Net().eval()
    model.attn.relative_attention_max_distance = 64  # forward buckets with another distance
    model.attn.compute_bias = lambda q, k, device=None: T5Attention.compute_bias(
        _WithDistance(model.attn, 16), q, k, device)
    with pytest.raises(GraphError, match=r"attn.relative_attention_bias \(nn.Embedding\(8, "
                                         r"2\)\) is looked up by relative positions, but not "
                                         r"as T5 buckets them with max_distance 64"):
        import_torch(model, (10, 16))


class _WithDistance:
    """The attention's attributes, but another max_distance for the buckets."""

    def __init__(self, attention, distance):
        self.attention, self.relative_attention_max_distance = attention, distance

    def __getattr__(self, name):
        return getattr(self.attention, name)


class ReversedPositions(nn.Module):
    """Learned positions counted from the end: no relative positions (one arange less a number,
    not less another arange), so the rules of other blocks answer, not this one's."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(20, 8)
        self.pos = nn.Embedding(16, 8)

    def forward(self, idx):
        t = idx.size(1)
        return self.tok(idx) + self.pos((t - 1) - torch.arange(t, device=idx.device))


def test_positions_less_a_number_are_not_taken_for_relative_ones():
    with pytest.raises(GraphError) as caught:
        import_torch(ReversedPositions().eval(), (10,), "int64")
    assert "cannot import operator.sub in ReversedPositions.forward: scalar arithmetic" in str(
        caught.value) and "relative position" not in str(caught.value)
