"""The exported TorchScript file runs fast as a user loads it: channels-last for conv models,
ReLUs in place, NCHW in and out, the same values as the model (benchmarks/
torchscript_layout_bench.py measures the speed)."""

from __future__ import annotations

import warnings

import torch
from torch import fx, nn

from layerloom.graph import compile_graph
from layerloom.graph.export import export_model
from layerloom.graph.export.formats import inference_copy
from layerloom.graph.templates import load_template


def _loaded(path):
    with warnings.catch_warnings():  # torch.jit.load warns it is deprecated; it still works
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(str(path)).eval()


def test_loaded_file_matches_the_model_on_plain_nchw_batches(tmp_path):
    graph = load_template("seed-cnn")
    torch.manual_seed(3)
    weights = compile_graph(graph).state_dict()
    result = export_model(graph, "torchscript", tmp_path / "m.pt", weights)
    assert result.notes["layout"] == "channels_last"
    model = compile_graph(graph).eval()
    model.load_state_dict(weights)
    scripted = _loaded(tmp_path / "m.pt")
    with torch.no_grad():
        for batch in (1, 3, 64):
            x = torch.randn(batch, 1, 28, 28)  # a plain contiguous NCHW tensor
            want, got = model(x), scripted(x)
            assert got.shape == want.shape == (batch, 10)
            assert got.is_contiguous()
            assert float((got - want).abs().max()) < 1e-5
            assert torch.equal(x, x.contiguous()) and x.is_contiguous()  # input left alone
    # what makes it fast: weights channels-last, the ReLUs after convolutions in place
    conv = scripted.conv2.weight  # [64, 32, 3, 3]: one layout or the other, not both
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert "contiguous(image, memory_format=2)" in scripted.code.replace(" ", "") or \
        "_to_channels_last" in scripted.code
    assert scripted.relu1.inplace and scripted.relu2.inplace


def test_the_model_itself_is_left_as_it_was():
    model = compile_graph(load_template("seed-cnn")).eval()
    fast = inference_copy(model, channels_last=True)
    assert fast.relu1.inplace and not model.relu1.inplace
    assert model.conv2.weight.is_contiguous()
    assert fast.conv2.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert float((fast(x) - model(x)).abs().max()) < 1e-5


def test_loaded_file_still_trains_with_the_same_gradients(tmp_path):
    graph = load_template("seed-cnn")
    export_model(graph, "torchscript", tmp_path / "m.pt")
    torch.manual_seed(0)
    model = compile_graph(graph)
    scripted = _loaded(tmp_path / "m.pt")
    scripted.load_state_dict(model.state_dict())
    model.eval(), scripted.eval()  # no dropout: the same function
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    nn.functional.cross_entropy(model(x), y).backward()
    nn.functional.cross_entropy(scripted(x), y).backward()
    for name, p in scripted.named_parameters():
        want = dict(model.named_parameters())[name].grad
        assert torch.allclose(p.grad, want, atol=1e-5, rtol=1e-4), name


def test_a_model_without_convolutions_stays_contiguous(tmp_path, chain):
    graph = chain(("x", "Input", {"shape": [6]}), ("fc", "Linear", {"out_features": 4}),
                  ("act", "ReLU"), ("out", "Linear", {"out_features": 2}), ("y", "Output"))
    result = export_model(graph, "torchscript", tmp_path / "m.pt")
    assert result.notes["layout"] == "contiguous"
    assert result.max_abs_diff == 0.0  # an in-place ReLU gives the very same values
    assert _loaded(tmp_path / "m.pt").act.inplace


class _Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        h = self.conv(x)
        return self.relu(h) + h, self.relu2(self.tanh(x))  # h read twice; tanh keeps its output


def test_a_relu_whose_input_is_read_elsewhere_is_not_made_in_place():
    model = fx.symbolic_trace(_Branching()).eval()
    fast = inference_copy(model, channels_last=True)
    assert not fast.relu.inplace and not fast.relu2.inplace
    x = torch.randn(2, 2, 5, 5)
    with torch.no_grad():
        for got, want in zip(fast(x), model(x)):
            assert got.is_contiguous() and float((got - want).abs().max()) < 1e-6
