"""``nn.LayerNorm([C, H, W])`` (and ``nn.LayerNorm(x.shape[1:])`` built from a sample, and
``F.layer_norm(x, x.shape[1:])``) normalises several trailing dimensions together: it imports as
a LayerNorm block with ``dims`` set, holding the layer's elementwise weights, with the model's
outputs, parameter count, code and ONNX export. One over the last dimension stays as it was."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import generate_code


def _norms(graph) -> list[tuple[str, dict]]:
    return [(n.id, n.params) for n in graph.nodes if n.type.startswith("LayerNorm")]


def _shaken(model: nn.Module) -> nn.Module:
    """Norm weights other than ones and zeros, so that a wrong mapping of them shows."""
    torch.manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.uniform_(0.5, 1.5)
                if m.bias is not None:
                    m.bias.uniform_(-0.5, 0.5)
    return model


class LN3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.ln = nn.Conv2d(3, 4, 3, padding=1), nn.LayerNorm([4, 8, 8])
        self.head = nn.Linear(4 * 8 * 8, 2)

    def forward(self, x):
        return self.head(self.ln(self.conv(x)).flatten(1))


def test_layernorm_over_a_whole_map(imported_round_trip, tmp_path):
    graph, state = imported_round_trip(_shaken(LN3d()), [3, 8, 8], tmp_path)
    assert _norms(graph) == [("ln", {"dims": 3})]
    assert state["ln.weight"].shape == (4, 8, 8)
    assert "self.ln = nn.LayerNorm((4, 8, 8))" in generate_code(graph)


class FromSample(nn.Module):
    """The norm's shape read from a sample map, and a functional norm over the rest of a
    sequence's dimensions, no weights."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 8)
        self.ln = nn.LayerNorm(torch.zeros(1, 10, 8).shape[1:], bias=False)
        self.last = nn.LayerNorm(8)

    def forward(self, x):
        h = self.ln(self.embed(x))
        h = F.layer_norm(h * 2, h.shape[1:])
        return self.last(h)


def test_layernorm_shapes_from_sizes(imported_round_trip, tmp_path):
    graph, _ = imported_round_trip(_shaken(FromSample()), [10, 6], tmp_path)
    assert _norms(graph) == [("ln", {"bias": False, "dims": 2}),
                             ("layer_norm", {"elementwise_affine": False, "dims": 2}),
                             ("last", {})]
