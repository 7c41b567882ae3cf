"""A convolution layer subclassed with a forward of its own that calls ``F.conv1d`` /
``F.conv2d`` / ``F.conv_transpose2d`` on its own weight and bias (WaveNet's and TCN's causal
``nn.Conv1d``, which pads on the left first) imports as the Conv block with the layer's weights
and settings (stride, padding, dilation, groups)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.summary import summarize


class CausalConv1d(nn.Conv1d):
    """WaveNet: padded on the left only, so that no step sees the future."""

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left = (kernel_size - 1) * dilation

    def forward(self, x):
        return super().forward(F.pad(x, (self.left, 0)))


class CausalConv1dFunctional(CausalConv1d):
    def forward(self, x):
        return F.conv1d(F.pad(x, (self.left, 0)), self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


class WaveNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = CausalConv1d(2, 8, 2)
        self.dilated = CausalConv1dFunctional(8, 8, 3, dilation=2)
        self.out = nn.Conv1d(8, 3, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.dilated(torch.relu(self.first(x)))))


class GroupedConv2d(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(F.relu(x), self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class GroupedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GroupedConv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)
        self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))


class OwnTransposed(nn.ConvTranspose2d):
    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)


class Upsampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = OwnTransposed(3, 4, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):
        return self.up(x)


class TwoDilations(nn.Conv1d):
    """One kernel applied at two dilations, the results added: its weights are shared."""

    def forward(self, x):
        near = F.conv1d(x, self.weight, self.bias, padding=1)  # shared
        return near + F.conv1d(x, self.weight, self.bias, padding=2, dilation=2)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = TwoDilations(3, 4, 3)

    def forward(self, x):
        return self.conv(x)


def test_wavenet_causal_convolutions_import_as_pads_and_conv1d(imported_round_trip,
                                                               tmp_path):
    torch.manual_seed(0)
    model = WaveNet()
    graph, _ = imported_round_trip(model, [2, 16], tmp_path, other_shape=[2, 29])
    assert [(n.id, n.type) for n in graph.nodes] == [
        ("x", "Input"), ("first_pad", "ZeroPad2d"), ("first", "Conv1d"), ("relu", "ReLU"),
        ("dilated_pad", "ZeroPad2d"), ("dilated", "Conv1d"), ("tanh", "Tanh"),
        ("out", "Conv1d"), ("output", "Output")]
    assert graph.node("dilated").params == {"out_channels": 8, "kernel_size": 3, "stride": 1,
                                            "dilation": 2}
    assert graph.node("dilated_pad").params == {"padding": [4, 0, 0, 0]}
    summary = summarize(graph)
    assert summary.params == summary.trainable_params == sum(
        p.numel() for p in model.parameters())


def test_a_grouped_strided_conv2d_of_its_own_keeps_its_settings(imported_round_trip,
                                                                tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(GroupedNet(), [4, 9, 9], tmp_path, other_shape=[4, 14, 14])
    assert graph.node("conv").type == "Conv2d"
    assert graph.node("conv").params == {"out_channels": 8, "kernel_size": 3, "stride": 2,
                                         "padding": 1, "groups": 2, "bias": False}


def test_a_transposed_convolution_of_its_own_imports(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Upsampler(), [3, 5, 5], tmp_path, other_shape=[3, 7, 6])
    assert graph.node("up").type == "ConvTranspose2d"
    assert graph.node("up").params == {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                       "padding": 1, "output_padding": 1}


def test_a_kernel_used_by_two_convolutions_is_refused_with_its_line(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Tied(), (3, 12))
    assert str(caught.value) == (
        f"{line_of('shared')}: cannot import torch.nn.functional.conv1d in conv (TwoDilations): "
        f"'conv.weight' is used by 2 convolutions, sharing its weights; each LayerLoom block "
        f"has weights of its own")
