"""An ONNX file's node that the torch importer refuses is named as the file names it (its name and
op, as Netron shows them), not by a line of LayerLoom's own source and an internal class
("onnx_in.py:1487: cannot import operator.getitem in OnnxModule1.forward")."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.cli import main
from layerloom.graph import GraphError

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


class FirstColumn(nn.Module):
    """``x[:, 0]`` of a [B, 4] input is [B], the batch alone: refused by the torch importer (in
    the ONNX file, a Gather), so the refusal comes from a node of the converted module."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) * x[:, 0].reshape(-1, 1)


def _export(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(FirstColumn().eval(), (torch.randn(1, 4),), str(path), dynamo=False)


def test_a_refusal_names_the_onnx_node(tmp_path):
    from layerloom.graph.import_torch.onnx_in import import_onnx

    _export(tmp_path / "last.onnx")
    with pytest.raises(GraphError) as err:
        import_onnx(tmp_path / "last.onnx")
    message = str(err.value)
    assert message.startswith("ONNX node /Gather (Gather): indexing with x[:, 0] of a [B, 4] "
                              "tensor gives [B], the batch alone")
    assert "onnx_in.py" not in message and "OnnxModule" not in message \
        and "operator.getitem" not in message


def test_import_onnx_cli_says_the_node(tmp_path, capsys):
    _export(tmp_path / "last.onnx")
    assert main(["import-onnx", str(tmp_path / "last.onnx"), "-o", str(tmp_path / "g.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ONNX node /Gather (Gather): indexing with x[:, 0]")
    assert "onnx_in.py" not in err and "OnnxModule" not in err


def test_the_torch_route_still_names_the_users_line():
    from layerloom.graph.import_torch import import_torch

    with pytest.raises(GraphError, match=r"^test_import_onnx_node_names\.py:\d+: cannot import "
                                         r"operator\.getitem in FirstColumn\.forward: "
                                         r"indexing"):
        import_torch(FirstColumn(), [[4]])
