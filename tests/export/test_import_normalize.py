"""Input normalisation imports as one Normalize block with the model's own values: ``(x -
self.mean) / self.std`` with registered buffers shaped [1, C, 1, 1] or [C, 1, 1], the same with
``torch.tensor([...]).view(1, 3, 1, 1)`` kept as plain attributes or made in forward,
``x.sub(mean).div(std)``, a subtraction or a division alone, and the two the other way round.
What still does not import (a mean along the wrong dimension, a learned mean) is refused at its
file and line with what maps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class Backbone(nn.Module):
    """A small CNN after the normalisation, so that its outputs show any difference."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(8, 4)

    def head(self, x):
        return self.fc(self.features(x))


class BufferNet(Backbone):
    """ImageNet normalisation with registered buffers, as torchvision-style code keeps it."""

    def __init__(self, view=(1, 3, 1, 1)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(*view))
        self.register_buffer("std", torch.tensor(STD).view(*view))

    def forward(self, x):
        x = (x - self.mean) / self.std
        return self.head(x)


class AttributeNet(Backbone):
    """Plain tensor attributes made in __init__, with the methods sub and div."""

    def __init__(self):
        super().__init__()
        self.mean = torch.tensor([0.5, 0.25, 0.125]).view(1, 3, 1, 1)
        self.std = torch.tensor([2.0, 4.0, 0.5]).view(1, 3, 1, 1)

    def forward(self, x):
        return self.head(x.sub(self.mean).div(self.std))


class MadeInForward(Backbone):
    def forward(self, x):
        mean = torch.tensor([0.1, 0.2, 0.3]).view(1, 3, 1, 1).to(x.device)
        x = x / 255.0
        return self.head((x - mean) / torch.tensor([0.3, 0.2, 0.1]).view(1, 3, 1, 1))


class ViewedInForward(Backbone):
    """[3] buffers viewed to broadcast where they are used."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN))
        self.register_buffer("std", torch.tensor(STD))

    def forward(self, x):
        return self.head((x - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1))


class Scaled(Backbone):
    """The other way round: divided first, then the mean subtracted."""

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor([2.0, 4.0, 8.0]).view(3, 1, 1))
        self.register_buffer("shift", torch.tensor([0.5, -1.0, 0.25]).view(3, 1, 1))

    def forward(self, x):
        return self.head(x / self.scale - self.shift)


class CentredOnly(Backbone):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))

    def forward(self, x):
        return self.head(x - self.mean)


@pytest.mark.parametrize("make, mean, std", [
    (BufferNet, list(MEAN), list(STD)),
    (lambda: BufferNet(view=(3, 1, 1)), list(MEAN), list(STD)),
    (AttributeNet, [0.5, 0.25, 0.125], [2.0, 4.0, 0.5]),
    (ViewedInForward, list(MEAN), list(STD)),
    (Scaled, [1.0, -4.0, 2.0], [2.0, 4.0, 8.0]),
    (CentredOnly, list(MEAN), [1.0, 1.0, 1.0]),
], ids=["buffers", "buffers-c11", "attributes-sub-div", "viewed", "divided-first",
        "mean-only"])
def test_normalisation_is_one_block_with_the_models_values(make, mean, std,
                                                          imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, state = imported_round_trip(make(), [3, 8, 8], tmp_path, other_shape=[3, 12, 10])
    assert [n.type for n in graph.nodes] == ["Input", "Normalize", "Conv2d", "ReLU",
                                             "AdaptiveAvgPool2d", "Flatten", "Linear", "Output"]
    node = graph.nodes[1]
    assert node.id == "normalize"
    assert node.params == {"mean": mean, "std": std}
    assert not any(key.startswith("normalize") for key in state)  # the values are params


def test_constants_made_in_forward_after_a_rescaling(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(MadeInForward(), [3, 8, 8], tmp_path)
    assert [(n.type, n.params) for n in graph.nodes[1:3]] == [
        ("Rescaling", {"scale": 1 / 255, "offset": 0.0}),
        ("Normalize", {"mean": [0.1, 0.2, 0.3], "std": [0.3, 0.2, 0.1]})]


def test_a_frozen_parameter_is_a_fixed_value():
    class Frozen(Backbone):
        def __init__(self):
            super().__init__()
            self.mean = nn.Parameter(torch.tensor(MEAN).view(1, 3, 1, 1), requires_grad=False)

        def forward(self, x):
            return self.head(x - self.mean)

    model = Frozen().eval()
    graph, weights = import_torch(model, (3, 8, 8))
    assert graph.nodes[1].type == "Normalize" and graph.nodes[1].params["mean"] == list(MEAN)
    assert check_import(model, graph, weights.apply(model.state_dict()), (3, 8, 8)) == 0.0


class AlongWidth(Backbone):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN))

    def forward(self, x):
        return self.head(x - self.mean)  # along-width


class DividedAlongWidth(Backbone):
    def __init__(self):
        super().__init__()
        self.std = torch.tensor(STD)

    def forward(self, x):
        return self.head(x / self.std)  # divided-along-width


class Learned(Backbone):
    def __init__(self):
        super().__init__()
        self.std = nn.Parameter(torch.ones(1, 3, 1, 1))

    def forward(self, x):
        return self.head(x / self.std)  # learned


@pytest.mark.parametrize("model, marker, message", [
    (AlongWidth(), "along-width",
     "cannot import operator.sub in AlongWidth.forward: it subtracts 'mean' of shape [3] from "
     "a [3, 8, 3] input (batch not counted); only one value per channel, dimension 1 (shaped "
     "[1, C, 1, 1] or [C, 1, 1] for an image, [C] for [B, C]), or one value, maps to a block "
     "(Normalize)"),
    (DividedAlongWidth(), "divided-along-width",
     "cannot import operator.truediv in DividedAlongWidth.forward: it divides a [3, 8, 3] input "
     "by a constant tensor of shape [3] (batch not counted); only one value per channel"),
    (Learned(), "learned",
     "cannot import operator.truediv in Learned.forward: 'std' is a learned parameter, and "
     "Normalize holds fixed values (if it is not trained, keep it in a buffer: "
     "self.register_buffer('std', ...))"),
], ids=["along-width", "divided-along-width", "learned"])
def test_what_does_not_map_is_refused_at_its_line(model, marker, message, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model, (3, 8, 3))
    assert str(caught.value).startswith(f"{line_of(marker)}: {message}"), str(caught.value)


def test_the_model_exported_to_onnx_imports_with_one_normalize(tmp_path):
    import warnings

    from layerloom.graph.import_torch.onnx_in import import_onnx

    torch.manual_seed(0)
    model = BufferNet().eval()
    path = tmp_path / "normalized.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), str(path), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    graph, _, diff = import_onnx(path)
    assert diff < 1e-5
    assert [(n.type, n.params) for n in graph.nodes if n.type == "Normalize"] == [
        ("Normalize", {"mean": list(MEAN), "std": list(STD)})]


def test_a_constant_viewed_with_a_size_read_from_the_input():
    class SizedView(Backbone):
        def __init__(self):
            super().__init__()
            self.mean = torch.tensor([0.5, 0.25, 0.125])

        def forward(self, x):
            return self.head(x - self.mean.view(1, x.size(1), 1, 1).to(x.dtype))

    model = SizedView().eval()
    graph, weights = import_torch(model, (3, 8, 8))
    assert (graph.nodes[1].type, graph.nodes[1].params) == (
        "Normalize", {"mean": [0.5, 0.25, 0.125], "std": [1.0, 1.0, 1.0]})
    assert check_import(model, graph, weights.apply(model.state_dict()), (3, 8, 8)) == 0.0
