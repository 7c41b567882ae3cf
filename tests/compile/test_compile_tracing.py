"""Compiled models go through torch.jit.trace, torch.jit.script, torch.fx.symbolic_trace and
torch.compile, and compute the same after each."""

from __future__ import annotations

import json
import os

import pytest
import torch

from layerloom.graph import compile_graph
from layerloom.graph.modules import Recurrent

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
              pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")]

LARGE = 100_000_000  # MACs per sample

TINY = {
    "format": "layerloom-graph", "version": 1, "name": "tiny",
    "blocks": {"Unit": {"params": {"ch": 3}, "nodes": [
        {"id": "x", "type": "Input"},
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 3,
                                                    "padding": 1}},
        {"id": "act", "type": "ReLU"}, {"id": "add", "type": "Add"}, {"id": "o", "type": "Output"}],
        "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "act"},
                  {"source": "act", "target": "add"}, {"source": "x", "target": "add"},
                  {"source": "add", "target": "o"}]}},
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [3, 6, 6]}},
        {"id": "extra", "type": "Input", "params": {"shape": [2]}},
        {"id": "units", "type": "Unit", "repeat": 2},
        {"id": "pool", "type": "AdaptiveAvgPool2d"}, {"id": "flat", "type": "Flatten"},
        {"id": "join", "type": "Concat"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 4}},
        {"id": "logits", "type": "Output"}, {"id": "features", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [
        ("image", "units"), ("units", "pool"), ("pool", "flat"), ("flat", "join"),
        ("extra", "join"), ("join", "fc"), ("fc", "logits"), ("flat", "features")]],
}


def _check(model, xs, transformed):
    with torch.no_grad():
        expected = model(*xs)
        got = transformed(*xs)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for a, b in zip(got, expected):
            torch.testing.assert_close(a, b)
    else:
        torch.testing.assert_close(got, expected)


@pytest.fixture
def tiny():
    model = compile_graph(TINY).eval()
    xs = [torch.randn(2, 3, 6, 6), torch.randn(2, 2)]
    return model, xs


def test_tiny_model_has_composite_repeat_and_two_outputs(tiny):
    model, xs = tiny
    logits, features = model(*xs)
    assert logits.shape == (2, 4) and features.shape == (2, 3)
    assert list(model.state_dict())[:2] == ["units.0.conv.weight", "units.0.conv.bias"]


def test_jit_trace(tiny):
    model, xs = tiny
    _check(model, xs, torch.jit.trace(model, tuple(xs)))


def test_jit_script(tiny):
    model, xs = tiny
    scripted = torch.jit.script(model)
    _check(model, xs, scripted)
    assert "units" in dict(scripted.named_children())


def test_fx_symbolic_trace(tiny):
    model, xs = tiny
    traced = torch.fx.symbolic_trace(model)
    _check(model, xs, traced)


def test_torch_compile_captures_one_graph(tiny):
    # fullgraph=True: dynamo must capture the whole forward without a graph break; aot_eager
    # runs AOTAutograd's trace too but skips inductor's C++ build (minutes on this CPU)
    model, xs = tiny
    _check(model, xs, torch.compile(model, backend="aot_eager", fullgraph=True))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("LAYERLOOM_SLOW_TESTS"),
                    reason="inductor builds C++ (about 40 s here); set LAYERLOOM_SLOW_TESTS=1")
def test_torch_compile_inductor(tiny):
    model, xs = tiny
    _check(model, xs, torch.compile(model, fullgraph=True))


class _PackingAsLeaf(torch.fx.Tracer):
    """A recurrent block given a padding mask packs its sequences by their lengths, which
    pack_padded_sequence needs as numbers, not symbols: torch.fx keeps it whole, as it keeps
    torch.nn's own LSTM."""

    def is_leaf_module(self, m, name):
        return isinstance(m, Recurrent) or super().is_leaf_module(m, name)


def test_templates_trace_script_and_fx(template_path, helpers):
    if template_path is None:
        pytest.skip("no templates in assets/templates")
    graph = json.loads(template_path.read_text(encoding="utf-8"))
    model = compile_graph(graph).eval()
    traced = torch.fx.GraphModule(model, _PackingAsLeaf().trace(model))
    scripted = torch.jit.script(model)
    if model.layerloom_summary.macs > LARGE:
        # ImageNet-sized (resnet18, efficientnet-b0): a forward pass takes seconds on this CPU;
        # the code-generation sweep runs one, and both transforms are checked on the small ones
        assert isinstance(traced, torch.fx.GraphModule)
        assert set(dict(scripted.named_parameters())) == set(dict(model.named_parameters()))
        return
    xs = helpers.sample_inputs(graph, batch=2)
    _check(model, xs, traced)
    _check(model, xs, scripted)
    # check_trace=False: torch re-traces to compare graphs, and TransformerEncoderLayer's eval
    # fast path makes the two graphs differ in form; the outputs are compared instead
    _check(model, xs, torch.jit.trace(model, tuple(xs), check_trace=False))
