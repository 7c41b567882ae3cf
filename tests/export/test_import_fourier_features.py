"""Fourier features as public code writes them import with the Sin and Cos blocks: Tancik et
al.'s random features, ``torch.cat([torch.sin(x_proj), torch.cos(x_proj)], -1)`` of ``2π x @
B``, and NeRF's positional encoding, ``sin`` and ``cos`` of ``x`` times each power of two. They
stopped at the first ``torch.sin`` ("cannot import torch.sin … no LayerLoom block does this"),
from PyTorch and from ONNX alike."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


class FourierFeatures(nn.Module):
    """Tancik et al. (2020): a fixed Gaussian projection of coordinates, its sines and
    cosines, then an MLP."""

    def __init__(self, in_dim=2, mapping=8, scale=10.0):
        super().__init__()
        self.register_buffer("B", torch.randn(in_dim, mapping) * scale)
        self.mlp = nn.Sequential(nn.Linear(2 * mapping, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        x_proj = (2.0 * math.pi * x) @ self.B
        return self.mlp(torch.cat([torch.sin(x_proj), torch.cos(x_proj)], dim=-1))


class NeRFEmbedder(nn.Module):
    """NeRF's positional encoding: the input, then sin and cos of it times 2^i."""

    def __init__(self, multires=4):
        super().__init__()
        self.freq_bands = [2.0 ** i for i in range(multires)]
        self.mlp = nn.Linear(3 + 3 * 2 * multires, 8)

    def forward(self, x):
        out = [x]
        for freq in self.freq_bands:
            for p_fn in (torch.sin, torch.cos):
                out.append(p_fn(x * freq))
        return self.mlp(torch.cat(out, -1))


def _imported(model, shape):
    graph, weights = import_torch(model.eval(), shape)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.rand(5, *shape) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    return graph


def test_random_fourier_features_import_as_a_frozen_projection_sin_cos_and_concat():
    torch.manual_seed(0)
    graph = _imported(FourierFeatures(), (2,))
    assert [n.type for n in graph.nodes] == ["Input", "Rescaling", "Linear", "Sin", "Cos",
                                             "Concat", "Linear", "ReLU", "Linear", "Output"]
    assert summarize(graph).params == sum(p.numel() for p in FourierFeatures().state_dict()
                                          .values())


def test_nerfs_positional_encoding_imports_with_a_sin_and_a_cos_per_frequency():
    torch.manual_seed(1)
    graph = _imported(NeRFEmbedder(), (3,))
    types = [n.type for n in graph.nodes]
    assert types.count("Sin") == 4 and types.count("Cos") == 4
    assert [n.params["scale"] for n in graph.nodes if n.type == "Rescaling"] == \
        [1.0, 1.0, 2.0, 2.0, 4.0, 4.0, 8.0, 8.0]


def test_fourier_features_import_from_their_onnx_file(tmp_path):
    torch.manual_seed(2)
    model = FourierFeatures().eval()
    torch.onnx.export(model, (torch.randn(2, 2),), str(tmp_path / "ff.onnx"), dynamo=False,
                      input_names=["xy"], output_names=["rgb"],
                      dynamic_axes={"xy": {0: "batch"}, "rgb": {0: "batch"}})
    graph, state, diff = import_onnx(tmp_path / "ff.onnx")
    assert diff < 1e-4
    assert {"Sin", "Cos", "Concat"} <= {n.type for n in graph.nodes}
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.rand(7, 2)
    session = ort.InferenceSession(str(tmp_path / "ff.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), session.run(None, {"xy": x.numpy()})[0],
                                   atol=1e-4)
