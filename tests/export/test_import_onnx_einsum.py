"""import-onnx of ``Einsum`` nodes, as ``torch.onnx.export`` writes attention written with
``torch.einsum`` (vit-pytorch's and lucidrains' style): a batched matrix product imports as the
permutes and MatMul it is, the outputs onnxruntime's; any other equation is refused naming the
ONNX node and the equation. Before, every file with one stopped at "no LayerLoom block does
Einsum"."""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.compile import compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx


class Attention(nn.Module):  # vit-pytorch's Attention, without einops
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(b, n, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        dots = torch.einsum("b h i d, b h j d -> b h i j", q, k) * self.scale
        out = torch.einsum("b h i j, b h j d -> b h i d", dots.softmax(dim=-1), v)
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 5)

    def forward(self, x):
        return torch.einsum("bi,bj->bij", self.a(x), self.b(x)).flatten(1)


def _export(model, shape, path):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2, *shape),), str(path), dynamo=False,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def test_einsum_attention_imports_as_permutes_and_matmuls(tmp_path):
    path = tmp_path / "attention.onnx"
    _export(Attention(), (6, 16), path)
    graph, state, diff = import_onnx(path)
    assert diff < 1e-4
    types = [n.type for n in graph.nodes]
    assert types.count("MatMul") == 2 and "Softmax" in types
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(3, 6, 16, generator=torch.Generator().manual_seed(1))
    want = ort.InferenceSession(str(path)).run(None, {"x": x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), want, atol=1e-5, rtol=1e-4)


def test_an_einsum_that_is_no_batched_product_is_refused_naming_it(tmp_path):
    path = tmp_path / "outer.onnx"
    _export(Outer(), (4,), path)
    with pytest.raises(GraphError, match=r"ONNX node /Einsum \(Einsum\): .*'bi,bj->bij' is no "
                                         r"batched matrix product"):
        import_onnx(path)
