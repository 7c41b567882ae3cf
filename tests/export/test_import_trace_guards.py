"""Lines that check where or how big the input is, not what it holds, trace: nanoGPT's and
minGPT's ``assert t <= self.block_size`` (a size) is traced past, PointNet's ``if x.is_cuda:``
(and ``x.device.type == "cuda"``) is False, as on the CPU the import runs on. Both were refused
as control flow that "depends on the data". An assert on the data itself is refused saying so
and what to change."""

from __future__ import annotations

import textwrap

import pytest

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import check_import, import_torch, load_callable

# in a file of its own: pytest rewrites the asserts of test modules
MODELS = textwrap.dedent('''
import torch
from torch import nn


class SizeAssert(nn.Module):  # nanoGPT's GPT.forward, cut down
    def __init__(self, block_size=16):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(30, 8)
        self.wpe = nn.Embedding(block_size, 8)
        self.head = nn.Linear(8, 30)

    def forward(self, idx):
        b, t = idx.size()
        assert t <= self.block_size, f"Cannot forward sequence of length {t}"
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        return self.head(self.wte(idx) + self.wpe(pos))


class DeviceChecks(nn.Module):  # PointNet's STN3d: `if x.is_cuda: iden = iden.cuda()`
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        if x.is_cuda:
            y = y.cuda()
        if x.device.type == "cuda":
            y = y * 2
        if x.device.type != "cpu":
            y = y - 1
        return torch.relu(y)


class DataAssert(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        assert (x > -100).all()
        return self.fc(x)
''')


@pytest.fixture
def models(tmp_path):
    (tmp_path / "guards.py").write_text(MODELS)
    return lambda name: load_callable(f"{tmp_path / 'guards.py'}:{name}")()


def test_an_assert_on_a_size_is_traced_past(models):
    model = models("SizeAssert").eval()
    graph, weights = import_torch(model, (10,), "int64")
    assert [n.type for n in graph.nodes] == ["Input", "Embedding", "PositionalEmbedding",
                                             "Linear", "Output"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (10,), "int64") < 1e-5


def test_device_checks_are_read_as_on_the_cpu(models):
    model = models("DeviceChecks").eval()
    graph, weights = import_torch(model, (4,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "ReLU", "Output"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (4,)) < 1e-5


def test_an_assert_on_the_data_is_refused_saying_what_to_change(models):
    with pytest.raises(GraphError) as caught:
        import_torch(models("DataAssert"), (4,))
    assert str(caught.value) == (
        "torch.fx cannot trace DataAssert: an assert checks the data (a value computed from a "
        "tensor's values), which tracing cannot know; remove this line, or move the check out "
        "of forward (at guards.py line 43 `assert (x > -100).all()` in "
        "DataAssert.forward)")
