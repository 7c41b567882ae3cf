"""import-onnx of a file exported with a fixed batch of 1 (``torch.onnx.export`` without
``dynamic_axes``, the most common export): imported with the batch made free where the file
runs on other batches with each sample's result as on its own, else refused in full words
saying how to re-export."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.cli import main
from layerloom.graph import GraphError
from layerloom.graph.compile import compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx


class PlainCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.c1(x))), 2)
        return self.fc(torch.flatten(x, 1))


class BatchInShape(nn.Module):
    """``view(1, -1)``: the batch of 1 is written into the file as a constant."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(x.view(1, -1))


def _export(model: nn.Module, shape, path) -> None:
    torch.manual_seed(0)
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *shape),), str(path), dynamo=False,
                          input_names=["x"], output_names=["y"])


def test_a_fixed_batch_of_one_imports_with_the_batch_free(tmp_path):
    model = PlainCNN()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "fixedbatch.onnx"
    _export(model, (1, 14, 14), path)
    graph, state, diff = import_onnx(path)  # also checked against onnxruntime at batch 3
    assert diff < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(5, 1, 14, 14)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=0)


def test_a_batch_written_into_the_file_is_refused_saying_how_to_re_export(tmp_path, capsys):
    path = tmp_path / "batchinshape.onnx"
    _export(BatchInShape(), (16,), path)
    with pytest.raises(GraphError) as info:
        import_onnx(path)
    message = str(info.value)
    assert message.startswith("batchinshape.onnx: the file was exported with a fixed batch of 1 "
                              "(input 'x' has shape [1, 16]) and does not run on other batches (")
    assert message.endswith("; re-export with torch.onnx.export(..., input_names=['x'], "
                            "output_names=['y'], dynamic_axes={'x': {0: 'batch'}, "
                            "'y': {0: 'batch'}})")
    assert "GEMM: Dimension mismatch" in message and "\n" not in message  # onnxruntime's reason
    assert main(["import-onnx", str(path), "-o", str(tmp_path / "g.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "re-export with torch.onnx.export(" in err
    assert not (tmp_path / "g.json").exists()
