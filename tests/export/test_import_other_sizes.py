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
