"""An assignment into part of a tensor (YOLOv5's ``y[..., 0:2] = y[..., 0:2] * 2 - 0.5``,
``y[:, 0] = 0``) is refused in words at its line, with the rewrite that imports (the part
computed and joined with the rest by torch.cat). Before, the refusal said the model's control
flow depended on the data, which it does not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch


class Assigned(nn.Module):
    def __init__(self, rewritten: bool = False):
        super().__init__()
        self.rewritten = rewritten
        self.conv = nn.Conv2d(3, 6, 1)

    def forward(self, x):
        y = self.conv(x).sigmoid()
        if self.rewritten:
            return torch.cat([y[:, 0:2] * 2 - 0.5, y[:, 2:]], dim=1)
        y[:, 0:2] = y[:, 0:2] * 2 - 0.5  # assigned
        return y


def test_an_assignment_into_a_tensor_is_refused_with_the_rewrite(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Assigned(), (3, 8, 8))
    message = str(caught.value)
    assert message.startswith("torch.fx cannot trace Assigned: it assigns into part of a "
                              "tensor"), message
    assert "y = torch.cat([y[:, 0:2] * 2 - 0.5, y[:, 2:]], dim=1)" in message
    assert f"line {line_of('assigned').rpartition(':')[2]} " in message
    assert "control flow" not in message


def test_the_rewrite_imports_with_the_models_outputs():
    torch.manual_seed(0)
    model = Assigned(rewritten=True).eval()
    graph, weights = import_torch(model, (3, 8, 8))
    assert sum(p.numel() for p in model.parameters()) == 24
    assert check_import(model, graph, weights.apply(model.state_dict()), (3, 8, 8)) < 1e-6
