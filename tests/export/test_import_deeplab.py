"""torchvision's DeepLabV3 head (ASPP with its image-pooling branch) on a small backbone:
``F.interpolate(x, size=...)`` to the size of another tensor (the pooled 1×1 branch back to the
features' size, the logits to the image's size) imports as a ResizeTo block fed that tensor, so
the design runs at any image size with the model's outputs, where an Upsample by the traced
scale (4 and 8 at 32×32) stopped at a 36×36 image (a 5×5 map, not 4×4). torchvision's
``{"out": x}`` imports with an Output named ``out``."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=dilation,
                                   dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1,
                                                            bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels, atrous_rates, out_channels=16):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                 nn.BatchNorm2d(out_channels), nn.ReLU())]
        for rate in tuple(atrous_rates):
            modules.append(ASPPConv(in_channels, out_channels, rate))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        _res = []
        for conv in self.convs:
            _res.append(conv(x))
        res = torch.cat(_res, dim=1)
        return self.project(res)


class DeepLabV3(nn.Module):
    def __init__(self, as_dict=False, num_classes=5):
        super().__init__()
        self.as_dict = as_dict
        torch.manual_seed(0)
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.classifier = nn.Sequential(
            ASPP(32, (2, 4, 6)), nn.Conv2d(16, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, num_classes, 1))
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.normal_(1, 0.3)
                    m.bias.normal_(0, 0.3)
                    m.running_mean.normal_(0, 0.3)
                    m.running_var.uniform_(0.5, 2)

    def forward(self, x):
        input_shape = x.shape[-2:]
        features = self.backbone(x)
        result = OrderedDict()
        x = self.classifier(features)
        x = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)
        if not self.as_dict:
            return x
        result["out"] = x
        return result


def test_deeplab_imports_and_runs_at_any_image_size(tmp_path):
    model = DeepLabV3().eval()
    graph, weights = import_torch(model, (3, 32, 32))
    resized = [n for n in graph.nodes if n.type == "ResizeTo"]
    assert [n.params for n in resized] == [{"mode": "bilinear"}] * 2
    assert "Upsample" not in {n.type for n in graph.nodes}
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 33_157
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    assert check_import(model, graph, state, (3, 32, 32), weights=weights) < 1e-5
    other = check_other_size(model, graph, state, [(3, 32, 32)], ["float32"])
    assert other.shapes == [(3, 36, 36)] and other.warning is None
    for size in (32, 36, 45):
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            want, got = model(x), compiled(x)
        assert got.shape == want.shape == (2, 5, size, size)
        assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_torchvisions_dict_output_imports_with_an_output_named_out():
    """It was refused ("return its values as a tuple"): test_import_dict_outputs.py."""
    model = DeepLabV3(as_dict=True).eval()
    graph, weights = import_torch(model, (3, 32, 32))
    assert [n.id for n in graph.nodes if n.type == "Output"] == ["out"]
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 32, 32), weights=weights) < 1e-5


class ToSkip(nn.Module):
    """A decoder resized to its skip connection's size (sizes read one by one)."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.skip = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        small = self.down(x)
        up = F.interpolate(small, size=(x.size(2), x.size(3)), mode="nearest")
        return up + self.skip(x)


def test_a_size_read_one_dimension_at_a_time_runs_at_odd_sizes():
    model = ToSkip().eval()
    graph, weights = import_torch(model, (3, 8, 8))
    assert [n.type for n in graph.nodes if n.type in ("ResizeTo", "Upsample")] == ["ResizeTo"]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(2, 3, 11, 9)  # the model's 6×5 map to 11×9: no scale factor gives it
    with torch.no_grad():
        assert (compiled(x) - model(x)).abs().max() < 1e-6
