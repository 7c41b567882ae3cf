"""import-torch maps ``F.adaptive_max_pool1d(x, n)`` and ``nn.AdaptiveMaxPool1d(n)`` to the
AdaptiveMaxPool1d block, which follows the length wherever the graph runs (a MaxPool1d of the
traced length / n, as these imported before, gave other outputs at any other length)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph
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
def test_adaptive_max_pool1d_imports_as_the_block_and_runs_at_other_lengths(
        module, imported_outputs_equal):
    model = Conv1dNet(module).eval()
    graph = imported_outputs_equal(model, [1, 33])
    [pool] = [n for n in graph.nodes if n.type == "AdaptiveMaxPool1d"]
    assert pool.params == {"output_size": 1}
    assert "MaxPool1d" not in {n.type for n in graph.nodes}
    _, weights = import_torch(model, [[1, 33]])
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(4, 1, 50)  # another length: the pool still covers all of it
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=0)


class PoolTo(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.adaptive_max_pool1d(x, self.size).flatten(1)


@pytest.mark.parametrize("size", [4, 5])
def test_adaptive_max_pool1d_to_any_output_size_imports(size, imported_outputs_equal):
    graph = imported_outputs_equal(PoolTo(size), [3, 12])
    [pool] = [n for n in graph.nodes if n.type == "AdaptiveMaxPool1d"]
    assert pool.params == {"output_size": size}
