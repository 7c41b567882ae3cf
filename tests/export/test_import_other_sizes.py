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


def test_a_chomp_keeps_all_but_the_last_steps_at_any_length():
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


# -- the import's second look, at another size --------------------------------------------------


class HalfWindow(nn.Module):
    """A window of half the map, as a number only at the traced size: at 12×12 the model takes the maximum of
    6×6 windows, the imported MaxPool2d (fixed at the traced 4) of 4×4 ones."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.max_pool2d(x, x.size(2) // 2)
        return self.fc(x.mean((2, 3)))


class SkipCrop(nn.Module):
    """The skip cropped to the output's length with a start computed from it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 3)
        self.out = nn.Conv1d(4, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        return self.out(y + x[:, :, -y.size(2):])


class FixedSize(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


def _check(model, shape, dtype="float32"):
    from layerloom.graph.import_torch.other_size import check_other_size

    graph, state = _imported(model, shape, dtype)
    calls = []
    hook = model.register_forward_hook(lambda *_: calls.append(1))
    try:
        return check_other_size(model, graph, state, [shape], dtype), len(calls)
    finally:
        hook.remove()


def test_the_second_look_names_the_first_block_that_differs():
    result, forwards = _check(HalfWindow(), [3, 8, 8])
    assert result.shapes == [(3, 12, 12)] and result.diff > 1e-3 and forwards == 1
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1)
                if "F.max_pool2d(x, x.size(2) // 2)" in text)
    assert result.warning.startswith(
        "at input [3, 12, 12], where the model runs too, the imported graph gives other "
        "outputs (output 0 differs by up to ")
    assert result.warning.endswith(
        f"), first at block 'max_pool2d' (MaxPool2d, from test_import_other_sizes.py:{line}); "
        f"the design matches the model at [3, 8, 8]")


def test_the_second_look_names_the_block_that_cannot_run():
    result, _ = _check(SkipCrop(), [4, 20])
    assert result.shapes == [(4, 25)] and result.diff == float("inf")
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1)
                if "return self.out(y + x[:, :, -y.size(2):])" in text)
    assert result.warning == (
        f"at input [4, 25], where the model runs too, the imported graph cannot run at block "
        f"'add' (Add, from test_import_other_sizes.py:{line}): The size of tensor a (23) must "
        f"match the size of tensor b (18) at non-singleton dimension 2; its values first part "
        f"from the model's at block 'getitem' (Slice, from test_import_other_sizes.py:{line}); "
        f"the design matches the model at [4, 20]")


def test_the_second_look_passes_quietly_where_the_graph_matches_or_the_model_has_one_size():
    result, forwards = _check(KimCNN(), [12], "int64")
    assert result.shapes == [(17,)] and result.warning is None and forwards == 1
    result, _ = _check(Chomp(), [4, 20])
    assert result.shapes == [(4, 25)] and result.warning is None
    result, _ = _check(FixedSize(), [3, 8, 8])  # Linear after Flatten: the model takes 8×8 only
    assert result.shapes is None and result.warning is None


def test_import_torch_cli_says_whether_the_graph_matches_at_a_second_size(tmp_path, monkeypatch,
                                                                          capsys):
    import inspect

    from layerloom.cli import main

    source = "\n\n".join(inspect.getsource(c) for c in (HalfWindow, KimCNN))
    (tmp_path / "nets_sizes.py").write_text(
        "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n" + source)
    monkeypatch.chdir(tmp_path)
    assert main(["import-torch", "nets_sizes.py:KimCNN", "--input-shape", "12", "--dtype",
                 "int64", "-o", "kim.json"]) == 0
    out = capsys.readouterr()
    assert "compiled graph matches the model (max abs diff 0.00e+00), and at input [17] too" \
        in out.out and "warning" not in out.err
    assert main(["import-torch", "nets_sizes.py:HalfWindow", "--input-shape", "3,8,8",
                 "-o", "half.json"]) == 0  # a warning: the design is right at its own size
    out = capsys.readouterr()
    assert "half.json: 6 blocks from HalfWindow; compiled graph matches the model (max abs " \
        "diff 0.00e+00)\n" == out.out
    assert "warning: at input [3, 12, 12], where the model runs too, the imported graph gives " \
        "other outputs" in out.err
    assert "first at block 'max_pool2d' (MaxPool2d, from nets_sizes.py:" in out.err
    assert (tmp_path / "half.json").is_file()


def test_the_cli_compiles_the_graph_once_for_both_checks(tmp_path, monkeypatch, capsys):
    """check_import has just compiled the graph; the second-size check takes that module
    instead of compiling it again (HalfWindow: where it differs, the warning is unchanged)."""
    import inspect

    import layerloom.graph.compile as compile_module
    from layerloom.cli import main

    compiled = []
    real = compile_module.compile_graph

    def counting(graph, *args, **kwargs):
        compiled.append(graph.name)
        return real(graph, *args, **kwargs)

    monkeypatch.setattr(compile_module, "compile_graph", counting)
    (tmp_path / "nets_once.py").write_text(
        "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n" +
        inspect.getsource(HalfWindow))
    monkeypatch.chdir(tmp_path)
    assert main(["import-torch", "nets_once.py:HalfWindow", "--input-shape", "3,8,8",
                 "-o", "half.json"]) == 0
    assert compiled == ["HalfWindow"]
    assert "warning: at input [3, 12, 12], where the model runs too, the imported graph gives " \
        "other outputs (output 0 differs by up to " in capsys.readouterr().err


def test_a_compiled_graph_given_to_the_second_look_is_loaded_with_the_state_again():
    """A module that held other weights (check_import's woken copy) still compares the
    design's: the state is loaded into it, not assumed."""
    torch.manual_seed(3)
    model = KimCNN().eval()
    graph, state = _imported(model, [12], "int64")
    stale = compile_graph(graph)
    with torch.no_grad():
        for param in stale.parameters():
            param.add_(1.0)
    from layerloom.graph.import_torch.other_size import check_other_size

    result = check_other_size(model, graph, state, [[12]], "int64", compiled=stale)
    assert result.shapes == [(17,)] and result.warning is None and result.diff < 1e-5
