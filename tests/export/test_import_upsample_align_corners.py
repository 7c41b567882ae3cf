"""Bilinear upsampling with align_corners=True, as milesial's Pytorch-UNet writes it with
bilinear=True (``nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)``) and as
``F.interpolate(..., align_corners=True)`` to a skip connection's size, imports as Upsample
with align_corners (was refused: "align_corners=True"); the imported graph gives the model's
outputs at the traced size and at another, in generated code and in ONNX; a file exported
from it imports back."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn
from unet_parts import UNet

from layerloom.graph import generate_code
from layerloom.graph.import_torch.onnx_in import import_onnx


def test_milesial_unet_bilinear_imports_with_align_corners(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, state = imported_round_trip(UNet(bilinear=True), [3, 16, 16], tmp_path, other_shape=[3, 24, 20])
    ups = [(n.id, n.params) for n in graph.nodes if n.type == "Upsample"]
    assert ups == [("up1_up", {"scale_factor": 2.0, "mode": "bilinear", "align_corners": True}),
                   ("up2_up", {"scale_factor": 2.0, "mode": "bilinear", "align_corners": True})]
    code = generate_code(graph)
    assert "nn.Upsample(scale_factor=2.0, mode='bilinear', align_corners=True)" in code


class ToSkipSize(nn.Module):
    """A decoder that resizes to the skip connection's size, written with F.interpolate."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.skip = nn.Conv2d(3, 4, 1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        small = self.down(x)
        up = F.interpolate(small, size=x.shape[2:], mode="bilinear", align_corners=True)
        twice = F.interpolate(small, scale_factor=2, mode="bilinear", align_corners=True)
        return self.head(up + self.skip(x) + twice)


def test_interpolate_with_align_corners(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(ToSkipSize(), [3, 8, 8], tmp_path, other_shape=[3, 12, 10])
    assert [(n.type, n.params) for n in graph.nodes if n.type in ("Upsample", "ResizeTo")] == [
        ("ResizeTo", {"mode": "bilinear", "align_corners": True}),  # to x's size, at any size
        ("Upsample", {"scale_factor": 2.0, "mode": "bilinear", "align_corners": True})]


def test_onnx_file_of_the_unet_imports_back(tmp_path):
    torch.manual_seed(0)
    model = UNet(bilinear=True).eval()
    path = tmp_path / "unet.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 16, 16),), str(path), dynamo=False,
                          opset_version=17, input_names=["image"], output_names=["mask"],
                          dynamic_axes={"image": {0: "batch"}, "mask": {0: "batch"}})
    graph, _, diff = import_onnx(path)
    assert diff < 1e-4
    assert [n.params.get("align_corners") for n in graph.nodes if n.type == "Upsample"] == [
        True, True]
