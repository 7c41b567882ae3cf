"""import-torch maps ``F.adaptive_max_pool1d(x, n)`` and ``nn.AdaptiveMaxPool1d(n)`` of a length
a multiple of n to MaxPool1d over length / n, as the ONNX exporter writes it (MaxPool) and the
ONNX importer reads it back; the imported graph gives the model's outputs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class Conv1dNet(nn.Module):
    def __init__(self, module: bool):
        super().__init__()
        self.c = nn.Conv1d(1, 8, 3, stride=2)
        self.pool = nn.AdaptiveMaxPool1d(1) if module else None
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.c(x))
        top = self.pool(x) if self.pool is not None else F.adaptive_max_pool1d(x, 1)
        return self.fc(torch.cat([F.adaptive_avg_pool1d(x, 1), top], dim=1).flatten(1))


@pytest.mark.parametrize("module", [False, True], ids=["function", "module"])
def test_adaptive_max_pool1d_imports_as_maxpool1d_over_the_length(module, imported_outputs_equal):
    graph = imported_outputs_equal(Conv1dNet(module), [1, 33])
    pools = [n for n in graph.nodes if n.type == "MaxPool1d"]
    assert len(pools) == 1 and pools[0].params["kernel_size"] in (16, [16])


class PoolTo(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.adaptive_max_pool1d(x, self.size).flatten(1)


def test_adaptive_max_pool1d_to_a_divisor_of_the_length_imports_and_others_are_refused(
        imported_outputs_equal):
    imported_outputs_equal(PoolTo(4), [3, 12])
    with pytest.raises(GraphError, match=r"an output size of 5 from a length of 12 \(maps to "
                                         r"MaxPool1d where the length is a multiple"):
        import_torch(PoolTo(5), [[3, 12]])
