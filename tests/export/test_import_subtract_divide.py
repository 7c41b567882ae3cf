"""A tensor minus, or divided by, another tensor the model computed imports as the Subtract or
Divide block, the left operand on the ``left`` port: two heads' difference ``self.a(x) -
self.b(x)``, centring ``x - x.mean(1, keepdim=True)``, a map divided by its largest value plus
one, and the same from ONNX (``Sub`` and ``Div`` of two computed values). A number subtracted
stays a Rescaling and a fixed value per channel a Normalize. The graphs give the model's outputs
at the traced size and at another, with readable code and ONNX and TorchScript files."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, generate_code
from layerloom.graph.import_torch import import_torch


def _blocks(graph) -> list[str]:
    return [n.type for n in graph.nodes if n.type not in ("Input", "Output")]


def _ports(graph, block: str) -> dict[str, str]:
    """``{port: source block id}`` of the one ``block`` node."""
    node = next(n for n in graph.nodes if n.type == block)
    return {e.port: e.source for e in graph.edges if e.target == node.id}


class SubTwo(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 3)

    def forward(self, x):
        return self.a(x) - self.b(x)


def test_difference_of_two_layers(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(SubTwo(), [4], tmp_path)
    assert _blocks(graph) == ["Linear", "Linear", "Subtract"]
    assert _ports(graph, "Subtract") == {"left": "a", "right": "b"}
    assert "sub = self.sub(a, b)" in generate_code(graph)


class Centred(nn.Module):
    """Each position's channels centred (mean over the channels subtracted), then scaled by the
    map's largest value plus one, per sample and channel."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.head = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        h = self.conv(x)
        h = h - h.mean(1, keepdim=True)
        h = h / (torch.relu(h).amax(dim=(2, 3), keepdim=True) + 1)
        return self.head(h)


def test_centring_and_scaling_by_computed_values(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Centred(), [3, 12, 12], tmp_path, other_shape=[3, 17, 9])
    assert _blocks(graph) == ["Conv2d", "Reduce", "Subtract", "ReLU", "Reduce", "Rescaling",
                              "Divide", "Conv2d"]
    assert _ports(graph, "Subtract") == {"left": "conv", "right": "mean"}
    assert _ports(graph, "Divide") == {"left": "sub", "right": "add"}


class Constants(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1))
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv((1 - x) - self.mean) / 2


def test_numbers_and_fixed_values_keep_their_blocks(imported_round_trip, tmp_path):
    graph, _ = imported_round_trip(Constants(), [3, 8, 8], tmp_path)
    assert _blocks(graph) == ["Rescaling", "Normalize", "Conv2d", "Rescaling"]


class Heads(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.a, self.b, self.fn = nn.Linear(4, 3), nn.Linear(4, 3), fn

    def forward(self, x):
        return self.fn(self.a(x), self.b(x))


@pytest.mark.parametrize(("fn", "message"), [
    (lambda a, b: torch.sub(a, b, alpha=2), r"alpha=2 \(Subtract takes left - right"),
    (lambda a, b: torch.div(a, b, rounding_mode="floor"),
     r"rounding_mode='floor' \(Divide divides exactly\)"),
    (lambda a, b: a - b.unsqueeze(-1), r"it subtracts tensors of shapes \[B, 3\] and "
                                       r"\[B, 3, 1\]; Subtract broadcasts tensors of the same "
                                       r"rank"),
])
def test_refusals_say_why(fn, message):
    with pytest.raises(GraphError, match=r"test_import_subtract_divide\.py:\d+: cannot import "
                                         r".* in Heads\.forward: " + message):
        import_torch(Heads(fn), [[4]])


def test_onnx_sub_and_div_of_two_computed_values(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from layerloom.graph import compile_graph
    from layerloom.graph.import_torch.onnx_in import import_onnx

    torch.manual_seed(0)
    model = Centred().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 12, 12),), str(tmp_path / "c.onnx"),
                          dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})
    graph, state, diff = import_onnx(tmp_path / "c.onnx")
    assert diff < 1e-4
    assert {"Subtract", "Divide"} <= set(_blocks(graph))
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(3, 3, 12, 12)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)
