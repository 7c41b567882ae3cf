"""Imported models give the original's outputs at input sizes other than the one they were
traced at, wherever the original runs there: in the compiled graph, in the generated code and in
the design with its Input set to the new size. A window or a slice bound written in terms of the
input's size (``F.max_pool1d(c, c.shape[2])``, ``x[:, :, :-2]``) stays so, instead of becoming
the number it had at the traced size."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, generate_code, load_graph
from layerloom.graph.import_torch import import_torch


def _imported(model: nn.Module, shape: list[int], dtype: str = "float32"):
    model.eval()
    graph, weights = import_torch(model, [shape], [dtype])
    return graph, weights.apply(model.state_dict())


def _sample(shape: list[int], dtype: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(5)
    if dtype == "int64":
        return torch.randint(0, 50, (2, *shape), generator=generator)
    return torch.randn((2, *shape), generator=generator)


def _assert_runs_as_the_model(model, graph, state, shape: list[int], dtype: str = "float32"):
    """The compiled graph, the generated code and the design with its Input set to ``shape``
    give ``model``'s outputs on inputs of ``shape``."""
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    namespace: dict = {}
    exec(compile(generate_code(graph, class_name="Imported"), "<generated>", "exec"), namespace)
    coded = namespace["Imported"]().eval()
    coded.load_state_dict(state, strict=True)
    design = graph.to_dict()
    next(n for n in design["nodes"] if n["type"] == "Input")["params"]["shape"] = list(shape)
    resized = compile_graph(load_graph(design)).eval()
    resized.load_state_dict(state, strict=True)
    x = _sample(shape, dtype)
    with torch.no_grad():
        expected = model(x)
        for built in (compiled, coded, resized):
            torch.testing.assert_close(built(x), expected, atol=1e-5, rtol=0)


def _counts(module: nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


# -- slices whose bounds count from the end ---------------------------------------------------


class Chomp(nn.Module):
    """TCN's Chomp1d: a causal convolution pads both sides, the chomp drops the right side."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3, padding=2)
        self.out = nn.Conv1d(8, 2, 1)

    def forward(self, x):
        return self.out(F.relu(self.conv(x)[:, :, :-2].contiguous()))


class DropFirstToken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):  # [B, L, 6]
        h = self.fc(x)
        return h[:, 1:] + h[:, -2:-1] + h[:, -3].unsqueeze(1)


def test_a_chomp_keeps_all_but_the_last_steps_at_any_length(tmp_path):
    model = Chomp()
    graph, state = _imported(model, [4, 20])
    assert [n.type for n in graph.nodes] == ["Input", "Conv1d", "Slice", "ReLU", "Conv1d",
                                             "Output"]
    [chomp] = [n for n in graph.nodes if n.type == "Slice"]
    assert chomp.params == {"dim": 1, "start": 0, "end": -2}
    compiled = compile_graph(graph)
    assert _counts(compiled) == _counts(model) == (4 * 8 * 3 + 8 + 8 * 2 + 2,) * 2
    for length in (20, 33):
        _assert_runs_as_the_model(model, graph, state, [4, length])
    assert "Slice(2, 0, end=-2)" in generate_code(graph)  # as written, not end=20


def test_a_chomp_stays_relative_in_the_onnx_file(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import numpy_helper

    from layerloom.graph.export import export_model

    model = Chomp().eval()
    graph, state = _imported(model, [4, 20])
    export_model(graph, "onnx", tmp_path / "chomp.onnx", state)
    file = onnx.load(str(tmp_path / "chomp.onnx"))
    consts = {t.name: numpy_helper.to_array(t) for t in file.graph.initializer}
    for node in file.graph.node:
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    [cut] = [n for n in file.graph.node if n.op_type == "Slice"]
    assert consts[cut.input[2]].reshape(-1).tolist() == [-2]  # ends: from the end, not 20
    for value in [*file.graph.input, *file.graph.output]:  # let the file take any length
        value.type.tensor_type.shape.dim[2].dim_param = "length"
    del file.graph.value_info[:]
    session = ort.InferenceSession(file.SerializeToString(), providers=["CPUExecutionProvider"])
    x = _sample([4, 33], "float32")
    [got] = session.run(None, {file.graph.input[0].name: x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(got), model(x), atol=1e-5, rtol=0)


def test_slices_from_the_end_and_to_the_end_follow_the_length():
    model = DropFirstToken()
    graph, state = _imported(model, [7, 6])
    slices = sorted((n.params["start"], n.params.get("end")) for n in graph.nodes
                    if n.type == "Slice")
    assert slices == [(-3, -2), (-2, -1), (1, None)]
    for length in (7, 12):
        _assert_runs_as_the_model(model, graph, state, [length, 6])


# -- pools over the whole map, written with its size -------------------------------------------


class PoolBySize(nn.Module):
    """A global pool written with the map's size, in the ways tutorials write it."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.relu(self.conv(x))
        if self.how == "size()[2:]":
            x = F.avg_pool2d(x, x.size()[2:])
        elif self.how == "size()[3]":  # kuangliu's pytorch-cifar
            x = F.avg_pool2d(x, x.size()[3])
        elif self.how == "(H, W)":
            h, w = x.shape[2], x.shape[3]
            x = F.max_pool2d(x, (h, w))
        else:  # a number that happens to be the traced size: a fixed window, as written
            x = F.avg_pool2d(x, 8)
        return self.fc(x.view(x.size(0), -1))


class KimCNN(nn.Module):
    """Kim's CNN for sentences: max over time written as a pool of the whole length."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.convs = nn.ModuleList([nn.Conv1d(16, 8, k) for k in (3, 4)])
        self.fc = nn.Linear(16, 2)

    def forward(self, t):
        e = self.emb(t).permute(0, 2, 1)
        maps = [F.relu(conv(e)) for conv in self.convs]
        pooled = [F.max_pool1d(c, c.shape[2]).squeeze(2) for c in maps]
        return self.fc(torch.cat(pooled, 1))


class CharCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.conv = nn.Conv1d(8, 12, 3)
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.fc = nn.Linear(12, 3)

    def forward(self, t):
        h = F.relu(self.conv(self.emb(t).transpose(1, 2)))
        return self.fc(self.pool(h).flatten(1))


@pytest.mark.parametrize("how, block", [("size()[2:]", "AdaptiveAvgPool2d"),
                                        ("size()[3]", "AdaptiveAvgPool2d"),
                                        ("(H, W)", "AdaptiveMaxPool2d")])
def test_a_pool_written_with_the_maps_size_is_global_at_every_size(how, block):
    model = PoolBySize(how)
    graph, state = _imported(model, [3, 8, 8])
    assert [n.type for n in graph.nodes] == ["Input", "Conv2d", "ReLU", block, "Flatten",
                                             "Linear", "Output"]
    assert graph.nodes[3].params == {"output_size": 1}
    assert _counts(compile_graph(graph)) == _counts(model)
    for side in (8, 12, 5):
        _assert_runs_as_the_model(model, graph, state, [3, side, side])


def test_a_pool_window_written_as_a_number_stays_a_fixed_window():
    model = PoolBySize("8")
    graph, state = _imported(model, [3, 8, 8])
    [pool] = [n for n in graph.nodes if "Pool" in n.type]
    assert pool.type == "AvgPool2d" and pool.params == {"kernel_size": 8}
    _assert_runs_as_the_model(model, graph, state, [3, 12, 12])  # one 8×8 window, as written


@pytest.mark.parametrize("model", [KimCNN(), CharCNN()], ids=["max_pool1d", "AdaptiveMaxPool1d"])
def test_max_over_time_of_a_text_cnn_follows_the_sentence_length(model):
    graph, state = _imported(model, [12], "int64")
    pools = [n for n in graph.nodes if "Pool" in n.type]
    assert {n.type for n in pools} == {"AdaptiveMaxPool1d"}
    assert all(n.params == {"output_size": 1} for n in pools)
    assert _counts(compile_graph(graph)) == _counts(model)
    for length in (12, 20, 7):
        _assert_runs_as_the_model(model, graph, state, [length], "int64")
