"""Clamps to bounds other than [0, ∞) and [0, 6] import as Hardtanh: ``x.clamp(-1, 1)``,
``torch.clamp(x, min=-0.5, max=2.0)``, ``F.hardtanh(x, -2, 2)``, ``nn.Hardtanh(...)`` (and a
``Clip`` of an ONNX file); ``clamp(min=0)`` stays ReLU and ``clamp(0, 6)`` ReLU6. A one-sided
clamp other than min=0 is refused at its file and line with the same function written so that
it imports, and that rewrite does import with the same outputs."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx


class Bounded(nn.Module):
    """Each way of writing a clamp, on one Linear's output, summed."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 8)
        self.act = nn.Hardtanh(-0.25, 0.75)
        self.head = nn.Sequential(nn.Linear(8, 3), nn.Hardtanh())

    def forward(self, x):
        x = self.fc(x) * 3
        a = x.clamp(-1, 1)
        b = torch.clamp(x, min=-0.5, max=2.0)
        c = F.hardtanh(x, -2, 2)
        d = self.act(x)
        e = x.clamp(min=0) + x.clamp(0, 6)
        return self.head(a + b + c + d + e)


def test_every_way_of_writing_a_clamp_imports_with_its_bounds(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Bounded(), [6], tmp_path)
    blocks = [(n.id, n.type, n.params) for n in graph.nodes
              if n.type in ("Hardtanh", "ReLU", "ReLU6")]
    assert blocks == [
        ("clamp", "Hardtanh", {"min_val": -1.0, "max_val": 1.0}),
        ("clamp_1", "Hardtanh", {"min_val": -0.5, "max_val": 2.0}),
        ("hardtanh", "Hardtanh", {"min_val": -2.0, "max_val": 2.0}),
        ("act", "Hardtanh", {"min_val": -0.25, "max_val": 0.75}),
        ("clamp_2", "ReLU", {}),
        ("clamp_3", "ReLU6", {}),
        ("head_1", "Hardtanh", {"min_val": -1.0, "max_val": 1.0})]


class InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        y = self.fc(x) * 4
        y.clamp_(-1.5, 1.5)
        return F.hardtanh(y, -1.0, 1.0, True) + y


def test_in_place_clamps_are_followed():
    model = InPlace().eval()
    graph, weights = import_torch(model, (6,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Rescaling", "Hardtanh",
                                             "Hardtanh", "Add", "Output"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (6,)) == 0.0


class MinOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(x).clamp(min=1e-6)  # min-only


class MaxOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return torch.clamp_max(self.fc(x), 2.0)  # max-only


class Collapsed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(x).clamp(1, 1)  # collapsed


@pytest.mark.parametrize("model, marker, message", [
    (MinOnly(), "min-only",
     "cannot import Tensor.clamp in MinOnly.forward: clamping to min=1e-06 with no upper bound "
     "has no block (of one-sided clamps only min=0, ReLU, has one; Hardtanh needs both bounds); "
     "write F.relu(x - 1e-06) + 1e-06, the same values, which imports as ReLU between two "
     "Rescaling blocks, or x.clamp(1e-06, upper) with an upper bound (Hardtanh)"),
    (MaxOnly(), "max-only",
     "cannot import torch.clamp_max in MaxOnly.forward: clamping to max=2.0 with no lower bound "
     "has no block (Hardtanh needs both bounds); write 2.0 - F.relu(2.0 - x), the same values, "
     "which imports as ReLU between two Rescaling blocks, or x.clamp(lower, 2.0) with a lower "
     "bound (Hardtanh)"),
    (Collapsed(), "collapsed",
     "cannot import Tensor.clamp in Collapsed.forward: clamping to [1, 1] makes every value 1 "
     "(a clamp maps to a block, Hardtanh, when min < max)"),
], ids=["min-only", "max-only", "collapsed"])
def test_a_clamp_without_a_block_is_refused_at_its_line_with_the_rewrite(model, marker, message,
                                                                          line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model, (6,))
    assert str(caught.value) == f"{line_of(marker)}: {message}"


class Rewritten(nn.Module):
    """The rewrites the refusals suggest."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = self.fc(x)
        return F.relu(x - 1e-6) + 1e-6, 2.0 - F.relu(2.0 - x)


def test_the_suggested_rewrites_import_with_the_one_sided_clamps_values():
    torch.manual_seed(0)
    model = Rewritten().eval()
    graph, weights = import_torch(model, (6,))
    assert [n.type for n in graph.nodes if n.type not in ("Input", "Output", "Linear")] == [
        "Rescaling", "ReLU", "Rescaling", "Rescaling", "ReLU", "Rescaling"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (6,)) < 1e-6
    from layerloom.graph import compile_graph

    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(64, 6) * 5
    with torch.no_grad():
        low, high = compiled(x)
        y = model.fc(x)
    torch.testing.assert_close(low, y.clamp(min=1e-6), atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(high, y.clamp(max=2.0), atol=1e-6, rtol=1e-6)


def test_a_clamp_exported_to_onnx_imports_as_hardtanh(tmp_path):
    torch.manual_seed(0)
    model = Bounded().eval()
    path = tmp_path / "bounded.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 6),), str(path), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    graph, _, diff = import_onnx(path)
    assert diff < 1e-5
    bounds = sorted((n.params["min_val"], n.params["max_val"]) for n in graph.nodes
                    if n.type == "Hardtanh")
    assert bounds == [(-2.0, 2.0), (-1.0, 1.0), (-1.0, 1.0), (-0.5, 2.0), (-0.25, 0.75)]
    assert sorted(n.type for n in graph.nodes if n.type in ("ReLU", "ReLU6")) == ["ReLU",
                                                                                 "ReLU6"]
