"""Nodes with several outputs compiled and written as code: a ShuffleNet-style unit with a Chunk
(edges picking its outputs by index and by name) and a composite block with two Output nodes;
the compiled model trains a step, the generated code reads ``a, b = torch.chunk(...)`` and
computes the same, TorchScript and ONNX exports reproduce the outputs; summaries show each
port's shape."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, load_graph, summarize
from layerloom.graph.export import export_model

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")]


def _design(by_name: bool = False) -> dict:
    """x [8, 6, 6] → Chunk(2) → (left: identity, right: 1×1 conv, ReLU) → Concat; then a
    composite ``Heads`` with two Output nodes: ``logits`` (Linear 3) and ``feat`` (the pooled
    vector), both returned by the model."""
    first, second = ("0", "1") if by_name else (0, 1)
    heads = {"params": {"classes": 3}, "nodes": [
        {"id": "inp", "type": "Input"},
        {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": "=classes"}},
        {"id": "logits", "type": "Output"},
        {"id": "feat", "type": "Output"}],
        "edges": [{"source": "inp", "target": "pool"}, {"source": "pool", "target": "flat"},
                  {"source": "flat", "target": "fc"}, {"source": "fc", "target": "logits"},
                  {"source": "flat", "target": "feat"}]}
    return {"format": "layerloom-graph", "version": 1, "name": "shuffle-unit",
            "variables": {}, "blocks": {"Heads": heads},
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": [8, 6, 6]}},
                      {"id": "split", "type": "Chunk", "params": {"chunks": 2}},
                      {"id": "conv", "type": "Conv2d",
                       "params": {"out_channels": 4, "kernel_size": 1}},
                      {"id": "relu", "type": "ReLU"},
                      {"id": "cat", "type": "Concat"},
                      {"id": "heads", "type": "Heads"},
                      {"id": "y", "type": "Output"}, {"id": "z", "type": "Output"}],
            "edges": [{"source": "x", "target": "split"},
                      {"source": "split", "target": "cat", "source_port": first},
                      {"source": "split", "target": "conv", "source_port": second},
                      {"source": "conv", "target": "relu"},
                      {"source": "relu", "target": "cat"},
                      {"source": "cat", "target": "heads"},
                      {"source": "heads", "target": "y", "source_port": "logits"},
                      {"source": "heads", "target": "z", "source_port": 1}]}


def _reference(model, x):
    """The same computation written by hand with the compiled model's weights."""
    a, b = torch.chunk(x, 2, dim=1)
    right = torch.relu(model.conv(b))
    cat = torch.cat([a, right], dim=1)
    feat = cat.mean(dim=(2, 3))
    return model.heads.fc(feat), feat


@pytest.mark.parametrize("by_name", [False, True])
def test_compiled_model_routes_each_port_and_trains_a_step(by_name):
    graph = load_graph(_design(by_name))
    torch.manual_seed(0)
    model = compile_graph(graph)
    x = torch.randn(5, 8, 6, 6)
    logits, feat = model(x)
    want_logits, want_feat = _reference(model, x)
    torch.testing.assert_close(logits, want_logits)
    torch.testing.assert_close(feat, want_feat)
    assert logits.shape == (5, 3) and feat.shape == (5, 8)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    optimizer.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert sorted(changed) == ["conv.bias", "conv.weight", "heads.fc.bias", "heads.fc.weight"]


def test_summary_shows_each_port_shape():
    summary = summarize(_design())
    split = next(n for n in summary.nodes if n.id == "split")
    assert split.output_shapes == [[4, 6, 6], [4, 6, 6]]
    assert split.to_dict()["output_shapes"] == [[4, 6, 6], [4, 6, 6]]
    assert "[4, 6, 6], [4, 6, 6]" in summary.table()
    assert summary.outputs == [[3], [8]]
    conv = next(n for n in summary.nodes if n.id == "conv")
    assert "output_shapes" not in conv.to_dict()
    assert conv.macs == 4 * 4 * 36


def test_generated_code_unpacks_the_chunk_and_matches_the_compiled_model(helpers, tmp_path):
    graph = _design(by_name=True)
    source = generate_code(graph)
    assert "split_0, split_1 = torch.chunk(x, 2, dim=1)  # (B, 4, 6, 6), (B, 4, 6, 6)" in source
    assert "heads_logits, heads_feat = self.heads(cat)" in source
    assert "return heads_logits, heads_feat" in source
    model = compile_graph(graph).eval()
    generated = helpers.model_class(helpers.load_source(source, tmp_path))().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(3, 8, 6, 6)
    with torch.no_grad():
        for got, want in zip(generated(x), model(x)):
            torch.testing.assert_close(got, want, rtol=0, atol=0)
        scripted = torch.jit.script(generated)
        for got, want in zip(scripted(x), model(x)):
            torch.testing.assert_close(got, want)


def test_split_by_sections_compiles_scripts_and_writes_code(helpers, tmp_path):
    graph = _design()
    graph["nodes"][1] = {"id": "split", "type": "Split", "params": {"sizes": [3, 5]}}
    model = compile_graph(graph).eval()
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        a, b = torch.split(x, [3, 5], dim=1)
        want = torch.cat([a, torch.relu(model.conv(b))], dim=1).mean(dim=(2, 3))
        torch.testing.assert_close(model(x)[1], want)
        torch.testing.assert_close(torch.jit.script(model)(x)[1], want)
    source = generate_code(graph)
    assert "split_0, split_1 = torch.split(x, [3, 5], dim=1)" in source
    generated = helpers.model_class(helpers.load_source(source, tmp_path))().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(generated(x)[1], want)


@pytest.mark.parametrize("fmt,suffix", [("torchscript", ".pt"), ("onnx", ".onnx")])
def test_a_graph_with_chunk_exports_to_torchscript_and_onnx(fmt, suffix, tmp_path):
    result = export_model(load_graph(_design()), fmt, tmp_path / f"m{suffix}")
    assert result.path.exists()
    assert result.max_abs_diff < 1e-5
