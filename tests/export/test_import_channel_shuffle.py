"""ShuffleNet's channel shuffle imports as one ChannelShuffle block, not a Reshape/Permute/Reshape
holding the traced height and width: written out as torchvision does (view, transpose(1, 2),
contiguous, view), as permute/flatten or unflatten, or called as nn.ChannelShuffle /
F.channel_shuffle / torch.channel_shuffle; from PyTorch and from an ONNX file. The imported
graph runs at another input size with the original model's outputs."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from shufflenet_parts import ShuffleUnit
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


class ShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                                   nn.ReLU(inplace=True))
        self.stage2 = nn.Sequential(ShuffleUnit(16), ShuffleUnit(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.stage2(self.conv1(x)).mean([2, 3]))


def _shufflenet() -> nn.Module:
    torch.manual_seed(0)
    model = ShuffleNet().eval()
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
    return model


def test_shufflenet_imports_sizes_free_and_runs_at_another_size():
    model = _shufflenet()
    graph, weights = import_torch(model, (3, 64, 64))
    types = [n.type for n in graph.nodes]
    assert "Reshape" not in types and "Permute" not in types
    shuffles = [n for n in graph.nodes if n.type == "ChannelShuffle"]
    assert [(n.id, n.params) for n in shuffles] == [
        ("stage2_0_channel_shuffle", {"groups": 2}), ("stage2_1_channel_shuffle", {"groups": 2})]
    state = weights.apply(model.state_dict())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert check_import(model, graph, state, (3, 64, 64), weights=weights) < 1e-5
    # traced at 64×64, the same graph with a 96×96 (and a non-square) input
    for size in ((96, 96), (40, 72)):
        bigger = graph.copy()
        next(n for n in bigger.nodes if n.type == "Input").params["shape"] = [3, *size]
        compiled = compile_graph(bigger).eval()
        compiled.load_state_dict(state, strict=True)
        x = torch.randn(2, 3, *size)
        with torch.no_grad():
            expected = model(x)
            assert expected.abs().max() > 1e-2
            torch.testing.assert_close(compiled(x), expected, atol=2e-5, rtol=1e-4)


class Written(nn.Module):
    """One conv, then the shuffle written in one of the ways models write it."""

    def __init__(self, how: str, groups: int = 3, dims: int = 2):
        super().__init__()
        self.how, self.groups = how, groups
        self.conv = (nn.Conv2d if dims == 2 else nn.Conv1d)(4, 12, 1)
        self.shuffle = nn.ChannelShuffle(groups)

    def forward(self, x):
        x = self.conv(x)
        g = self.groups
        b, c = x.shape[0], x.shape[1]
        if self.how == "module":
            return self.shuffle(x)
        if self.how == "functional":
            return F.channel_shuffle(x, g)
        if self.how == "torch":
            return torch.channel_shuffle(x, g)
        if self.how == "permute-flatten":
            h, w = x.shape[2], x.shape[3]
            return x.reshape(b, g, c // g, h, w).permute(0, 2, 1, 3, 4).flatten(1, 2)
        if self.how == "unflatten":
            return x.unflatten(1, (g, -1)).transpose(2, 1).reshape(x.shape)
        if self.how == "view-1d":
            return x.view(b, g, c // g, x.shape[2]).transpose(1, 2).contiguous().view(b, c, -1)
        raise AssertionError(self.how)


@pytest.mark.parametrize("how, dims", [("module", 2), ("functional", 2), ("torch", 2),
                                       ("permute-flatten", 2), ("unflatten", 2),
                                       ("view-1d", 1)])
def test_each_way_of_writing_it_is_one_block(how, dims):
    torch.manual_seed(0)
    model = Written(how, dims=dims).eval()
    shape = (4, 6, 5) if dims == 2 else (4, 7)
    graph, weights = import_torch(model, shape)
    blocks = [(n.type, n.params) for n in graph.nodes if n.type not in ("Input", "Output")]
    assert blocks[-1] == ("ChannelShuffle", {"groups": 3})
    assert len(blocks) == 2
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5


def test_a_regrouping_that_is_not_a_shuffle_stays_reshapes():
    class Regroup(nn.Module):
        def forward(self, x):
            b, c, h, w = x.size()
            return x.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c // 2, 2 * h, w)

    class Reused(nn.Module):
        def forward(self, x):
            b, c, h, w = x.size()
            grouped = x.view(b, 2, c // 2, h, w)
            return grouped.transpose(1, 2).reshape(b, c, h, w) + grouped.reshape(b, c, h, w)

    for model in (Regroup(), Reused()):
        graph, weights = import_torch(model, (4, 3, 3))
        types = {n.type for n in graph.nodes}
        assert "ChannelShuffle" not in types and "Reshape" in types
        assert check_import(model, graph, weights.apply(model.state_dict()), (4, 3, 3)) < 1e-6


@pytest.mark.parametrize("opset", [13, 20])
def test_onnx_reshape_transpose_reshape_imports_as_the_block(opset, tmp_path):
    """torch.onnx writes the shuffle as Reshape (a shape computed from Shape nodes),
    Transpose, Reshape: the ONNX importer's module traces to the same pattern."""
    model = _shufflenet()
    path = tmp_path / "shufflenet.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 3, 32, 32),), str(path), dynamo=False,
                          opset_version=opset, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "b"}, "logits": {0: "b"}})
    graph, state, diff = import_onnx(path)
    assert diff < 1e-4
    types = [n.type for n in graph.nodes]
    assert types.count("ChannelShuffle") == 2 and "Reshape" not in types
    bigger = graph.copy()
    next(n for n in bigger.nodes if n.type == "Input").params["shape"] = [3, 48, 48]
    compiled = compile_graph(bigger).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=2e-5, rtol=1e-4)


def test_a_designed_shuffle_exported_to_onnx_imports_back(tmp_path):
    graph = {"format": "layerloom-graph", "version": 1, "name": "designed",
             "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4, 5, 5]}},
                       {"id": "conv", "type": "Conv2d",
                        "params": {"out_channels": 12, "kernel_size": 3, "padding": 1}},
                       {"id": "shuffle", "type": "ChannelShuffle", "params": {"groups": 4}},
                       {"id": "flat", "type": "Flatten"},
                       {"id": "y", "type": "Output"}],
             "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "shuffle"},
                       {"source": "shuffle", "target": "flat"}, {"source": "flat", "target": "y"}]}
    torch.manual_seed(0)
    result = export_model(graph, "onnx", tmp_path / "designed.onnx")
    assert result.max_abs_diff < 1e-5
    back, _, diff = import_onnx(tmp_path / "designed.onnx")
    assert diff < 1e-4
    assert [(n.type, n.params) for n in back.nodes if n.type == "ChannelShuffle"] == [
        ("ChannelShuffle", {"groups": 4})]
    assert "Reshape" not in {n.type for n in back.nodes}
