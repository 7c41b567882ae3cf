"""``import-onnx`` of sub-pixel layers: DepthToSpace (what PyTorch's exporter writes for
``nn.PixelShuffle``, mode CRD; TensorFlow's converters write the default mode DCR) and
SpaceToDepth. Each stopped the import with "no LayerLoom block does DepthToSpace"; each now
imports as the reshapes and permute it is, and matches onnxruntime on the file."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx


class ESPCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 9, 3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(3)

    def forward(self, x):
        return self.pixel_shuffle(torch.tanh(self.conv(x)))


def test_pytorch_pixel_shuffle_file_imports_exactly(tmp_path):
    torch.manual_seed(0)
    model = ESPCN().eval()
    path = tmp_path / "espcn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 1, 8, 8),), str(path), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    assert "DepthToSpace" in {n.op_type for n in onnx.load(str(path)).graph.node}
    graph, state, diff = import_onnx(path)
    assert diff < 1e-5
    assert summarize(graph).params == 90
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)
    assert export_model(graph, "onnx", tmp_path / "again.onnx", state).max_abs_diff < 1e-5


def _file(tmp_path, op: str, attributes: dict, shape: list[int], out: list[int]):
    """A file of a 1×1 convolution (so that the layer has weights), then ``op``."""
    rng = np.random.default_rng(0)
    channels = shape[0]
    weight = rng.standard_normal((channels, channels, 1, 1)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node(op, ["c"], ["y"], name="layer", **attributes)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", *shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", *out])],
        [numpy_helper.from_array(weight, "w")])
    path = tmp_path / f"{op}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("op, attributes, shape, out", [
    ("DepthToSpace", {"blocksize": 2}, [8, 3, 5], [2, 6, 10]),  # mode DCR, the default
    ("DepthToSpace", {"blocksize": 2, "mode": "DCR"}, [4, 2, 2], [1, 4, 4]),
    ("DepthToSpace", {"blocksize": 2, "mode": "CRD"}, [8, 3, 5], [2, 6, 10]),
    ("SpaceToDepth", {"blocksize": 2}, [3, 4, 6], [12, 2, 3]),
])
def test_onnx_sub_pixel_layers_match_onnxruntime(tmp_path, op, attributes, shape, out):
    path = _file(tmp_path, op, attributes, shape, out)
    graph, state, diff = import_onnx(path)
    assert diff < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = np.random.default_rng(1).standard_normal((2, *shape)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {"x": x})
    with torch.no_grad():
        got = compiled(torch.from_numpy(x))
    assert list(got.shape) == [2, *out]
    torch.testing.assert_close(got, torch.from_numpy(expected), atol=1e-5, rtol=1e-5)
