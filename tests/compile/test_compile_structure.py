"""What compile_graph builds: names of submodules and state_dict keys, composites, repeat,
variables, inputs and outputs in node order, unused nodes left out, invalid graphs refused."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, parse_graph, summarize
from layerloom.graph import registry
from layerloom.graph.registry import BlockSpec

from ..conftest import chain, residual  # noqa: TID252

GRAPH = {"format": "layerloom-graph", "version": 1}

RESIDUAL = residual(channels=4, size=5)


def _wire(*pairs):
    return [{"source": a, "target": b} for a, b in pairs]


def _res_block(module: nn.Module, x: torch.Tensor, skip: bool) -> torch.Tensor:
    """The Res block written out by hand, with the compiled module's weights."""
    y = F.conv2d(x, module.c1.weight, padding=1)
    y = F.batch_norm(y, module.bn.running_mean, module.bn.running_var, module.bn.weight,
                     module.bn.bias, training=False, eps=module.bn.eps)
    y = torch.relu(y)
    return y + x if skip else y


def test_seed_cnn_keys_params_and_forward(seed_cnn):
    model = compile_graph(seed_cnn)
    assert list(model.state_dict()) == ["conv1.weight", "conv1.bias", "conv2.weight",
                                        "conv2.bias", "fc.weight", "fc.bias"]
    assert sum(p.numel() for p in model.parameters()) == 34_826
    assert type(model).__name__ == "SeedCnn"
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert model.layerloom_summary.params == 34_826
    assert model.layerloom_summary.outputs == [[10]]


def test_forward_is_straight_line_code(seed_cnn):
    code = compile_graph(seed_cnn).code
    assert "for " not in code and "while " not in code
    for name in ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flat", "fc"):
        assert code.count(f"self.{name}(") == 1
    assert "def forward(self, image" in code


def test_variables_override_the_graph(seed_cnn):
    model = compile_graph(seed_cnn, variables={"width": 2, "classes": 3})
    assert model.conv1.weight.shape == (64, 1, 3, 3)
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 3)
    assert model.layerloom_summary.params == sum(p.numel() for p in model.parameters())


def test_composite_repeated_is_sequential_of_graph_modules_with_own_weights():
    model = compile_graph(RESIDUAL).eval()
    keys = list(model.state_dict())
    assert keys[:2] == ["stage.0.c1.weight", "stage.0.bn.weight"]
    assert "stage.1.c1.weight" in keys and "stage.1.bn.running_var" in keys
    assert not any(k.startswith("head") for k in keys)  # repeat 0: no module
    assert isinstance(model.stage, nn.Sequential) and len(model.stage) == 2
    assert isinstance(model.stage[0], torch.fx.GraphModule)
    assert type(model.stage[0]).__name__ == "Res"
    assert model.stage[0].c1.weight.data_ptr() != model.stage[1].c1.weight.data_ptr()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
        x = torch.randn(2, 4, 5, 5)
        expected = _res_block(model.stage[1], _res_block(model.stage[0], x, True), True)
        torch.testing.assert_close(model(x), expected)


def test_repeat_zero_and_variables_change_structure():
    model = compile_graph(RESIDUAL, variables={"depth": 3, "skip": 0}).eval()
    assert len(model.stage) == 3
    assert " + " not in model.stage[0].code  # the skipped Add
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        expected = x
        for block in model.stage:
            expected = _res_block(block, expected, False)
        torch.testing.assert_close(model(x), expected)
    passthrough = compile_graph(RESIDUAL, variables={"depth": 0})
    assert list(passthrough.state_dict()) == []
    assert passthrough(x) is x


def test_single_copy_composite_and_repeated_primitive_keys():
    graph = copy.deepcopy(RESIDUAL)
    graph["variables"]["depth"] = 1
    graph["nodes"][2]["repeat"] = 3
    graph["nodes"][2]["params"]["out_channels"] = 4
    model = compile_graph(graph)
    keys = list(model.state_dict())
    assert keys[0] == "stage.c1.weight"
    assert [k for k in keys if k.startswith("head")] == [
        "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias",
        "head.2.weight", "head.2.bias"]
    assert isinstance(model.stage, torch.fx.GraphModule)


def test_ids_become_legal_unique_attribute_names():
    ids = ["conv-1", "conv_1", "forward", "class", "1x1", "training", "state_dict", "self"]
    graph = chain(("in-put", "Input", {"shape": [3]}),
                  *[(i, "Linear", {"out_features": 3}) for i in ids], ("return", "Output"),
                  name="def")
    model = compile_graph(graph)
    weights = [k[:-len(".weight")] for k in model.state_dict() if k.endswith(".weight")]
    assert weights == ["conv_1", "conv_1_1", "forward_", "class_", "_1x1", "training_",
                       "state_dict_", "self_"]
    assert model.training is True and callable(model.state_dict)
    assert list(inspect.signature(model.forward).parameters) == ["in_put"]
    assert model(torch.zeros(2, 3)).shape == (2, 3)


def test_inputs_and_outputs_follow_node_order():
    graph = {**GRAPH, "name": "io", "nodes": [
        {"id": "b", "type": "Input", "params": {"shape": [4]}},
        {"id": "a", "type": "Input", "params": {"shape": [4]}},
        {"id": "sum", "type": "Add"}, {"id": "prod", "type": "Multiply"},
        {"id": "cat", "type": "Concat", "params": {"dim": -1}},
        {"id": "out_prod", "type": "Output"}, {"id": "out_cat", "type": "Output"},
        {"id": "out_sum", "type": "Output"}],
        "edges": _wire(("a", "sum"), ("b", "sum"), ("b", "prod"), ("a", "prod"), ("a", "cat"),
                       ("b", "cat"), ("a", "cat"), ("sum", "out_sum"), ("prod", "out_prod"),
                       ("cat", "out_cat"))}
    model = compile_graph(graph)
    assert list(inspect.signature(model.forward).parameters) == ["b", "a"]
    b, a = torch.randn(2, 4), torch.randn(2, 4)
    prod, cat, total = model(b, a)
    torch.testing.assert_close(prod, b * a)
    torch.testing.assert_close(cat, torch.cat([a, b, a], dim=-1))
    torch.testing.assert_close(total, a + b)
    assert "torch.cat([a, b, a], dim = -1)" in model.code and "b * a" in model.code
    assert model.layerloom_summary.outputs == [[4], [12], [4]]


def test_named_ports_reach_the_module_in_port_order():
    graph = {**GRAPH, "name": "attn", "nodes": [
        {"id": "q", "type": "Input", "params": {"shape": [3, 8]}},
        {"id": "kv", "type": "Input", "params": {"shape": [5, 6]}},
        {"id": "v", "type": "Input", "params": {"shape": [5, 4]}},
        {"id": "attn", "type": "MultiheadAttention", "params": {"num_heads": 2}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "v", "target": "attn", "port": "value"},
                  {"source": "q", "target": "attn", "port": "query"},
                  {"source": "kv", "target": "attn", "port": "key"},
                  {"source": "attn", "target": "y"}]}
    model = compile_graph(graph).eval()
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 5, 6), torch.randn(2, 5, 4)
    with torch.no_grad():
        expected = model.attn(q, k, v)
        torch.testing.assert_close(model(q, k, v), expected)
    assert model(q, k, v).shape == (2, 3, 8)


def test_unused_nodes_are_left_out(seed_cnn):
    seed_cnn["nodes"].append({"id": "dangling", "type": "Linear", "params": {"out_features": 7}})
    seed_cnn["edges"].append({"source": "flat", "target": "dangling"})
    model = compile_graph(seed_cnn)
    assert not hasattr(model, "dangling")
    assert "dangling" not in model.code
    assert sum(p.numel() for p in model.parameters()) == 34_826
    assert summarize(seed_cnn).params == 34_826


def test_input_straight_to_output_returns_it():
    graph = chain(("x", "Input", {"shape": [2]}), ("y", "Output"), name="id")
    x = torch.randn(1, 2)
    assert compile_graph(parse_graph(graph))(x) is x


def test_invalid_graph_is_refused_with_the_problems(seed_cnn):
    seed_cnn["edges"] = [e for e in seed_cnn["edges"] if e["target"] not in ("conv2", "flat")]
    seed_cnn["edges"] += _wire(("pool1", "flat"), ("flat", "conv2"))
    with pytest.raises(GraphError, match=r"conv2: Conv2d needs a \[C, H, W\] input, but flat "
                                         r"gives \[5408\]") as info:
        compile_graph(seed_cnn)
    assert info.value.node == "conv2"
    broken = chain(("x", "Input", {"shape": [3]}), ("fc", "Linear", {"out_features": "=nope"}),
                   ("y", "Output"), name="x")
    with pytest.raises(GraphError, match=r"fc\.out_features: .*nope") as info:
        compile_graph(broken)
    assert [p.node for p in info.value.problems] == ["fc"]


def test_a_failing_build_names_the_node(monkeypatch):
    def broken_build(p, ins):
        raise RuntimeError("torch said no")

    spec = BlockSpec("BrokenForTest", "Test", "Fails to build.", infer=lambda p, ins: ins[0],
                     build=broken_build)
    monkeypatch.setitem(registry._REGISTRY, spec.type, spec)
    graph = chain(("x", "Input", {"shape": [3]}), ("oops", "BrokenForTest"), ("y", "Output"),
                  name="b")
    with pytest.raises(GraphError, match="oops: BrokenForTest could not be built: torch said no"):
        compile_graph(graph)
