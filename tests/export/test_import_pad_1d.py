"""Padding modules of a sequence (``nn.ZeroPad1d``, ``nn.ConstantPad1d(p, 0.0)``, and
``nn.ZeroPad2d`` of a ``[B, C, L]`` tensor) and ONNX Pad of one import as the ZeroPad2d block,
which pads the last two dimensions of what it is given: a ``[C, L]`` sequence's length (and
channels). A pad with another constant, or of a tensor with no such dimensions, is refused in
words with the file and line."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


class CausalTCN(nn.Module):
    """A causal convolution padded by a module: ZeroPad1d((k - 1) * d, 0) then Conv1d."""

    def __init__(self):
        super().__init__()
        self.pad1 = nn.ZeroPad1d((2, 0))
        self.conv1 = nn.Conv1d(3, 8, 3)
        self.pad2 = nn.ConstantPad1d((4, 0), 0.0)
        self.conv2 = nn.Conv1d(8, 8, 3, dilation=2)
        self.both = nn.ConstantPad1d(1, 0.0)
        self.grow = nn.ZeroPad2d((0, 1, 1, 1))  # of [B, C, L]: C by 2, L by 1
        self.head = nn.Conv1d(10, 2, 1)

    def forward(self, x):
        x = torch.relu(self.conv1(self.pad1(x)))
        x = torch.relu(self.conv2(self.pad2(x)))
        return self.head(self.grow(self.both(x)))


class PadsWithOnes(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ConstantPad1d((2, 0), 1.0)
        self.conv = nn.Conv1d(3, 4, 3)

    def forward(self, x):
        return self.conv(self.pad(x))  # ones


class PadsFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.pad = nn.Linear(4, 6), nn.ZeroPad1d(1)

    def forward(self, x):
        return self.pad(self.fc(x))  # features


def test_sequence_pad_modules_import_as_zeropad2d(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(CausalTCN(), [3, 16], tmp_path, other_shape=[3, 25])
    pads = [(n.id, n.params["padding"]) for n in graph.nodes if n.type == "ZeroPad2d"]
    assert pads == [("pad1", [2, 0, 0, 0]), ("pad2", [4, 0, 0, 0]), ("both", [1, 1, 0, 0]),
                    ("grow", [0, 1, 1, 1])]
    assert [n.type for n in graph.nodes].count("Conv1d") == 3


def test_a_pad_with_another_constant_is_refused_in_words(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(PadsWithOnes(), (3, 16))
    assert str(caught.value) == (f"{line_of('ones')}: cannot import pad (ConstantPad1d): "
                                 f"value=1.0 (the ZeroPad2d block pads with zeros only)")


def test_a_pad_of_features_without_channels_is_refused_in_words(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(PadsFeatures(), (4,))
    assert str(caught.value) == (f"{line_of('features')}: cannot import pad (ZeroPad1d): a 2-D "
                                 f"input (with the batch); padding maps for a [B, C, L] "
                                 f"sequence or a [B, C, H, W] map, to ZeroPad2d")


def test_onnx_pad_of_a_sequence_imports_as_zeropad2d(tmp_path):
    torch.manual_seed(0)
    model = CausalTCN().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 3, 16),), str(tmp_path / "tcn.onnx"),
                          dynamo=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    graph, state, diff = import_onnx(tmp_path / "tcn.onnx")
    assert diff < 1e-5
    assert sorted(n.params["padding"] for n in graph.nodes if n.type == "ZeroPad2d") == [
        [0, 1, 1, 1], [1, 1, 0, 0], [2, 0, 0, 0], [4, 0, 0, 0]]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 3, 16)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)
