"""A dilated convolution with ``padding: "same"`` exports to an ONNX file onnxruntime runs.

PyTorch's exporter writes such a convolution as ``auto_pad=SAME_UPPER`` with dilations, which
onnxruntime refuses ("Dilation not supported for AutoPadType::SAME_UPPER"): the export failed
on a design that validates, trains and exports to TorchScript. An odd span now compiles to its
explicit padding, and an even one is written to ONNX as a zero ``Pad`` and an unpadded
convolution (graph/export/onnx_forms.py)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from layerloom.graph import compile_graph, load_graph
from layerloom.graph.export import export_model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _graph(block: str, shape: list[int], kernel, dilation) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "dilated",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": shape}},
                      {"id": "conv", "type": block,
                       "params": {"out_channels": 4, "kernel_size": kernel, "padding": "same",
                                  "dilation": dilation}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "y"}]}


CASES = [  # block, input shape, kernel, dilation, the padding the compiled module holds
    ("Conv2d", [2, 12, 12], 4, 2, (3, 3)),           # span 7: explicit
    ("Conv2d", [2, 12, 12], 2, 3, "same"),           # span 4: one more after than before
    ("Conv2d", [2, 12, 10], [3, 2], [2, 3], "same"),  # one dimension of each kind
    ("Conv1d", [3, 16], 2, 5, "same"),
    ("Conv1d", [3, 16], 3, 4, (4,)),
]


@pytest.mark.parametrize("block, shape, kernel, dilation, padding", CASES)
def test_a_dilated_same_convolution_exports_and_runs(tmp_path, block, shape, kernel, dilation,
                                                     padding):
    graph = load_graph(_graph(block, shape, kernel, dilation))
    model = compile_graph(graph).eval()
    conv = next(m for m in model.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)))
    assert conv.padding == padding
    assert sorted(k.rsplit(".", 1)[-1] for k in model.state_dict()) == ["bias", "weight"]

    path = tmp_path / "m.onnx"
    result = export_model(graph, "onnx", path, model.state_dict())
    assert result.max_abs_diff < 1e-5
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert "Conv" in ops
    assert all(a.name != "auto_pad" or a.s in (b"NOTSET", b"VALID")
               for n in onnx.load(str(path)).graph.node for a in n.attribute)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        want = model(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert got.shape == (3, 4, *shape[1:])  # "same": the spatial size kept
    np.testing.assert_allclose(got, want, atol=1e-5)
