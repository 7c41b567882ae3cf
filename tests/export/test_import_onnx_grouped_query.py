"""Grouped-query attention through ONNX and back: a design holding a ScaledDotProductAttention
with ``enable_gqa`` (LLaMA 3's and Mistral's attention, imported from PyTorch) exports to ONNX,
and ``import-onnx`` of that file gives the design again, causal or given a padding mask of the
ids, its outputs onnxruntime's on padded batches at other lengths. The file's key and value
heads were repeated by PyTorch's exporter as a dozen Shape, OneHot and Tile nodes, and the
import stopped at "no LayerLoom block does Tile" (causal) or at the Softmax ("its attributes or
input shapes take a form that no block maps", with a padding mask). Mistral's reference code,
which repeats the heads with ``torch.repeat_interleave``, imports from PyTorch too."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from gqa_attention import GroupedQueryAttention

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


def repeat_kv(keys: torch.Tensor, values: torch.Tensor, repeats: int, dim: int):
    """mistral-src's one_file_ref.py."""
    keys = torch.repeat_interleave(keys, repeats=repeats, dim=dim)
    values = torch.repeat_interleave(values, repeats=repeats, dim=dim)
    return keys, values


class MistralAttention(GroupedQueryAttention):
    def forward(self, tokens):
        x = self.tok_embeddings(tokens)
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        key, value = repeat_kv(xk, xv, self.n_heads // self.n_kv_heads, dim=2)
        out = F.scaled_dot_product_attention(xq.transpose(1, 2), key.transpose(1, 2),
                                             value.transpose(1, 2), is_causal=True)
        return self.output(self.wo(out.transpose(1, 2).reshape(bsz, seqlen, -1))[:, -1])


def _padded_batch(length: int, generator) -> torch.Tensor:
    ids = torch.randint(1, 50, (4, length), generator=generator)
    ids[0, length - 3:] = 0
    ids[2, 5:] = 0
    return ids


def _the_attention(graph):
    [block] = [n for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    return block


@pytest.mark.parametrize("padded", [False, True], ids=["causal", "padding-mask"])
def test_grouped_query_attention_exported_to_onnx_imports_back_as_the_block(padded, tmp_path):
    torch.manual_seed(0)
    model = GroupedQueryAttention(padded=padded).eval()
    design, weights = import_torch(model, (8,), "int64")
    export_model(design, "onnx", tmp_path / "m.onnx", weights.apply(model.state_dict()))
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    block = _the_attention(graph)
    assert block.params.get("enable_gqa") is True
    assert bool(block.params.get("is_causal")) is not padded
    assert [n.type for n in graph.nodes].count("PaddingMask") == int(padded)
    assert summarize(graph).params == summarize(design).params == \
        sum(p.numel() for p in model.parameters())
    assert [n.params["shape"] for n in graph.nodes if n.type == "Input"] == [["=length"]]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(1)
    for length in (8, 13):
        graph.variables["length"] = length
        compiled = compile_graph(graph).eval()
        compiled.load_state_dict(state, strict=True)
        ids = _padded_batch(length, generator)
        with torch.no_grad():
            got, want = compiled(ids).numpy(), model(ids).numpy()
        np.testing.assert_allclose(got, session.run(None, {"tokens": ids.numpy()})[0],
                                   atol=1e-5)
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_mistral_repeat_interleave_imports_as_grouped_query_attention():
    torch.manual_seed(0)
    model = MistralAttention().eval()
    graph, weights = import_torch(model, (8,), "int64")
    block = _the_attention(graph)
    assert block.params.get("enable_gqa") is True and block.params.get("is_causal") is True
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    ids = torch.randint(1, 50, (3, 13))
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids), model(ids), atol=1e-5, rtol=1e-4)
