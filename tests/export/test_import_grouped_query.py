"""Grouped-query attention as LLaMA 3 and Mistral write it with PyTorch's own attention:
``F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)``, key and value with
fewer heads than the query, also given a padding mask of the ids; and as Meta's LLaMA writes it
by hand (``repeat_kv``, the scores plus ``torch.triu(torch.full((T, T), -inf), 1)``, the
softmax in float), and transformers' ``repeat_kv`` of heads first before the attention. Each
imports as a ScaledDotProductAttention block with ``enable_gqa: true`` (its key and value heads
each shared by a group of query heads), the model's outputs on padded batches and at another
length, and exports as code, TorchScript and ONNX that match. Before, it stopped at
"enable_gqa=True (grouped-query attention) has no block", or at repeat_kv's expand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from gqa_attention import GroupedQueryAttention

from layerloom.graph import GraphError, compile_graph, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import import_torch
from layerloom.graph.io import load_graph


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Meta's llama/model.py: [bs, slen, n_kv_heads, head_dim] → n_rep times the heads."""
    bs, slen, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return (x[:, :, :, None, :].expand(bs, slen, n_kv_heads, n_rep, head_dim)
            .reshape(bs, slen, n_kv_heads * n_rep, head_dim))


class MetaLlamaAttention(GroupedQueryAttention):
    def forward(self, tokens):
        x = self.tok_embeddings(tokens)
        bsz, seqlen, _ = x.shape
        mask = torch.full((seqlen, seqlen), float("-inf"), device=tokens.device)
        mask = torch.triu(mask, diagonal=1)
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        keys = repeat_kv(xk, self.n_heads // self.n_kv_heads)
        values = repeat_kv(xv, self.n_heads // self.n_kv_heads)
        xq, keys, values = xq.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2)
        scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        scores = scores + mask
        scores = F.softmax(scores.float(), dim=-1).type_as(xq)
        output = torch.matmul(scores, values).transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.output(self.wo(output)[:, -1])


class TransformersRepeat(GroupedQueryAttention):
    """transformers' repeat_kv, of [batch, kv_heads, slen, head_dim], then sdpa with a padding
    mask."""

    def forward(self, tokens):
        x = self.tok_embeddings(tokens)
        b, s, _ = x.shape
        q = self.wq(x).view(b, s, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(b, s, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(b, s, self.n_kv_heads, self.head_dim).transpose(1, 2)
        n_rep = self.n_heads // self.n_kv_heads
        k = k[:, :, None, :, :].expand(b, self.n_kv_heads, n_rep, s, self.head_dim) \
            .reshape(b, self.n_heads, s, self.head_dim)
        v = v[:, :, None, :, :].expand(b, self.n_kv_heads, n_rep, s, self.head_dim) \
            .reshape(b, self.n_heads, s, self.head_dim)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=(tokens != 0)[:, None, None, :])
        return self.output(self.wo(out.transpose(1, 2).reshape(b, s, -1))[:, 0])


@pytest.mark.parametrize("cls, padded", [(GroupedQueryAttention, False),
                                         (GroupedQueryAttention, True),
                                         (MetaLlamaAttention, False),
                                         (TransformersRepeat, True)],
                         ids=["causal", "padding-mask", "meta-llama", "transformers-repeat"])
def test_grouped_query_attention_imports_with_enable_gqa(cls, padded, tmp_path):
    torch.manual_seed(0)
    model = cls(padded=padded).eval()
    graph, weights = import_torch(model, (8,), "int64")
    [block] = [n for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert block.params.get("enable_gqa") is True
    assert bool(block.params.get("is_causal")) is not padded
    assert len([n for n in graph.nodes if n.type == "PaddingMask"]) == int(padded)
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    generator = torch.Generator().manual_seed(1)
    batches = []
    for length in (8, 13):
        ids = torch.randint(1, 50, (4, length), generator=generator)
        ids[0, length - 3:] = 0
        ids[2, 5:] = 0
        batches.append(ids)
        with torch.no_grad():
            want, got = model(ids), compiled(ids)
        assert want.abs().max() > 0.05
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=batches[0]).max_abs_diff < 1e-5


def test_heads_that_do_not_group_are_a_validation_error_naming_them():
    graph = load_graph({"format": "layerloom-graph", "version": 1, "name": "gqa", "nodes": [
        {"id": "q", "type": "Input", "params": {"shape": [4, 5, 8]}},
        {"id": "k", "type": "Input", "params": {"shape": [3, 5, 8]}},
        {"id": "att", "type": "ScaledDotProductAttention", "params": {"enable_gqa": True}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "q", "target": "att", "port": "query"},
                  {"source": "k", "target": "att", "port": "key"},
                  {"source": "k", "target": "att", "port": "value"},
                  {"source": "att", "target": "y"}]})
    report = validate(graph)
    assert not report.ok
    assert any("query's heads (4) must be a multiple of the key's and value's (3, 3)" in str(p)
               for p in report.errors)
    with pytest.raises(GraphError):
        compile_graph(graph)
