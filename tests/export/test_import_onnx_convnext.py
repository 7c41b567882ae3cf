"""The official ConvNeXt through an ONNX file: its own LayerNorm for
``data_format="channels_first"``, written out as mean, subtract, ``pow(2)``, mean, ``+ eps``,
sqrt and divide with a per-channel ``[C, 1, 1]`` scale and shift, imports as one LayerNorm2d.

The file stopped at the first of them: "ONNX node /stem/stem.1/Pow (Pow): no LayerLoom block
does Pow" (the written-out LayerNorm was found only over the last axis, a channels-last one's).
import-torch took the same model already (``test_import_users_images.py``)."""

from __future__ import annotations

import pytest
import torch
from convnext_official import Block, LayerNorm
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx


class ConvNeXt(nn.Module):
    def __init__(self, dims=(8, 16), classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], kernel_size=4, stride=4),
                                  LayerNorm(dims[0], eps=1e-6, data_format="channels_first"))
        self.down = nn.Sequential(LayerNorm(dims[0], eps=1e-6, data_format="channels_first"),
                                  nn.Conv2d(dims[0], dims[1], kernel_size=2, stride=2))
        self.stages = nn.ModuleList([Block(dims[0], layer_scale_init_value=0.5),
                                     Block(dims[1], layer_scale_init_value=0.5)])
        self.norm = nn.LayerNorm(dims[1], eps=1e-6)
        self.head = nn.Linear(dims[1], classes)

    def forward(self, x):
        x = self.stages[1](self.down(self.stages[0](self.stem(x))))
        return self.head(self.norm(x.mean([-2, -1])))


class EpsOutsideTheRoot(LayerNorm):
    """A norm that differs from LayerNorm: ``(x - u) / (sqrt(s) + eps)``."""

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / (torch.sqrt(s) + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


def _randomised(model):
    torch.manual_seed(0)
    with torch.no_grad():  # norms' weights and biases away from 1 and 0
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def _export(model, path, opset=17):
    torch.onnx.export(model, (torch.randn(2, 3, 32, 32),), str(path), dynamo=False,
                      opset_version=opset, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


@pytest.mark.parametrize("opset", [13, 17])
def test_the_official_convnext_imports_from_onnx_with_its_channels_first_norms(tmp_path, opset):
    model = _randomised(ConvNeXt())
    _export(model, tmp_path / "convnext.onnx", opset)
    graph, state, diff = import_onnx(tmp_path / "convnext.onnx")
    assert diff < 1e-4
    norms = [n for n in graph.nodes if n.type == "LayerNorm2d"]
    assert len(norms) == 2
    assert all(n.params["eps"] == pytest.approx(1e-6) for n in norms)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-4, rtol=1e-4)


def test_a_norm_that_differs_from_layernorm_is_refused_at_its_pow(tmp_path):
    model = _randomised(nn.Sequential(nn.Conv2d(3, 8, 4, stride=4),
                                      EpsOutsideTheRoot(8, data_format="channels_first")))
    _export(model, tmp_path / "other.onnx")
    with pytest.raises(GraphError, match=r"ONNX node .*Pow \(Pow\): no LayerLoom block does Pow "
                                         r"\(outside a LayerNorm written out"):
        import_onnx(tmp_path / "other.onnx")
