"""Channel splits import as one block with several outputs: ``x.chunk``/``torch.chunk``,
``torch.split``/``x.split`` and channel slices that partition the channels (``x[:, :k]`` with
``x[:, k:]``) become a Chunk or Split whose outputs feed the branches by ``source_port``; a slice
that does not partition stays a Slice. Outputs are bit for bit the model's, params and MACs
match, and the ONNX export gives the same outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import import_torch


def _branch(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU())


class ChunkUnit(nn.Module):
    """torchvision's ShuffleNetV2 unit (stride 1): half the channels pass, half are convolved."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.branch = _branch(4, 4)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        if self.how == "method":
            a, b = x.chunk(2, dim=1)
        elif self.how == "function":
            a, b = torch.chunk(x, 2, 1)
        elif self.how == "slices":
            a, b = x[:, :4], x[:, 4:]
        else:
            a, b = x.split(4, dim=1)
        y = torch.cat((a, self.branch(b)), dim=1)
        return self.fc(y.mean([2, 3]))


class SplitUnit(nn.Module):
    """Uneven sections: torch.split with a list, or GhostNet-style slices x[:, :3], x[:, 3:]."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.left, self.right = _branch(3, 6), _branch(5, 2)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        if self.how == "function":
            a, b = torch.split(x, [3, 5], dim=1)
        else:
            a, b = x[:, 3:], x[:, :3]  # in either order
            a, b = b, a
        y = torch.cat((self.left(a), self.right(b)), dim=1)
        return self.fc(y.mean([2, 3]))


class ThreeWay(nn.Module):
    """torch.split(x, 3) of 8 channels: 3, 3 and 2, as torch.chunk(x, 3) gives them."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        a, b, c = torch.split(self.stem(x), 3, dim=1)
        return self.fc(torch.cat((c, torch.relu(a), b), dim=1).mean([2, 3]))


class NotAPartition(nn.Module):
    """A single slice, and one chunk of two used alone: these stay Slices."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = self.stem(x)
        return self.fc(torch.cat((x[:, :2], x.chunk(2, dim=1)[1]), dim=1).mean([2, 3]))


def _import_and_check(model: nn.Module, tmp_path, name: str):
    torch.manual_seed(0)
    model.eval()
    shape = (3, 8, 8)
    graph, weights = import_torch(model, shape)
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert expected.abs().max() > 1e-2
    assert torch.equal(got, expected)  # bit for bit
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    convs = sum(n.macs for n in summary.nodes if n.type in ("Conv2d", "Linear"))
    assert summary.macs == convs
    result = export_model(graph, "onnx", tmp_path / f"{name}.onnx", state)
    assert result.max_abs_diff < 1e-5
    return graph


@pytest.mark.parametrize("how", ["method", "function", "slices", "split-size"])
def test_a_channel_split_in_two_imports_as_one_chunk(how, tmp_path):
    graph = _import_and_check(ChunkUnit(how), tmp_path, how)
    types = [n.type for n in graph.nodes]
    assert "Slice" not in types and types.count("Chunk") == 1
    chunk = next(n for n in graph.nodes if n.type == "Chunk")
    assert chunk.params == {"chunks": 2, "dim": 0}
    out = sorted((e.source_port, e.target) for e in graph.edges if e.source == chunk.id)
    assert out[0][0] == 0 and out[1][0] == 1
    assert out[1][1].startswith("branch")  # the second half is convolved
    assert [e.source for e in graph.edges if e.target == chunk.id] == ["stem"]


@pytest.mark.parametrize("how", ["function", "slices"])
def test_uneven_sections_import_as_a_split(how, tmp_path):
    graph = _import_and_check(SplitUnit(how), tmp_path, f"split-{how}")
    [split] = [n for n in graph.nodes if n.type == "Split"]
    assert split.params == {"sizes": [3, 5], "dim": 0}
    assert "Slice" not in {n.type for n in graph.nodes}
    ports = {e.target: e.source_port for e in graph.edges if e.source == split.id}
    assert ports == {"left_0": 0, "right_0": 1}


def test_three_sections_and_generated_code(tmp_path):
    graph = _import_and_check(ThreeWay(), tmp_path, "three")
    [chunk] = [n for n in graph.nodes if n.type == "Chunk"]
    assert chunk.params == {"chunks": 3, "dim": 0}
    source = generate_code(graph)
    assert f"{chunk.id}_0, {chunk.id}_1, {chunk.id}_2 = torch.chunk(stem, 3, dim=1)" in source


def test_slices_that_do_not_partition_stay_slices(tmp_path):
    graph = _import_and_check(NotAPartition(), tmp_path, "slices")
    types = [n.type for n in graph.nodes]
    assert types.count("Slice") == 2 and "Chunk" not in types and "Split" not in types
    assert all(e.source_port is None for e in graph.edges)
