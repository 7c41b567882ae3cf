"""An interpolation whose scale is the same along every dimension is written as one number, as a
person writes it (``scale_factor: 2``, not ``[2, 2]``), whether it came from a ``size`` twice the
input's, a tuple of equal scales or one number; unequal scales stay a list. The graph gives the
model's outputs at the traced size and at another."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn


class Resized(nn.Module):
    def __init__(self, resize):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.resize = resize

    def forward(self, x):
        return self.conv(self.resize(x))


@pytest.mark.parametrize(("resize", "expected"), [
    (lambda x: F.interpolate(x, size=(x.size(2) * 2, x.size(3) * 2)), 2),
    (lambda x: F.interpolate(x, scale_factor=(2.0, 2.0), mode="bilinear"), 2.0),
    (nn.Upsample(scale_factor=(3, 3)), 3.0),
    (lambda x: F.interpolate(x, scale_factor=(2.0, 3.0)), [2.0, 3.0]),
])
def test_equal_scales_are_one_number(resize, expected, imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Resized(resize), [3, 8, 8], tmp_path, other_shape=[3, 10, 6])
    upsample = next(n for n in graph.nodes if n.type == "Upsample")
    assert upsample.params["scale_factor"] == expected
    assert type(upsample.params["scale_factor"]) is type(expected)
