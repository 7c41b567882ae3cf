"""The Normalize block: (x - mean) / std per channel with fixed values (ImageNet's by default),
one value per channel or one for all, a validation error naming the node and the param when the
count does not fit the channels, buffers that move with the model but stay out of the
state_dict, readable code, and TorchScript and ONNX files that give the same outputs."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, get_block, summarize, validate
from layerloom.graph.export import export_model

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def _graph(params=None, shape=(3, 4, 4)) -> dict:
    node = {"id": "norm", "type": "Normalize"}
    if params is not None:
        node["params"] = params
    return {"format": "layerloom-graph", "version": 1, "name": "normalized",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}}, node,
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "norm"}, {"source": "norm", "target": "y"}]}


def test_the_default_is_imagenets_normalisation_of_an_rgb_image():
    assert get_block("Normalize").defaults() == {"mean": IMAGENET[0], "std": IMAGENET[1]}
    model = compile_graph(_graph()).eval()
    x = torch.rand(2, 3, 4, 4)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in IMAGENET)
    with torch.no_grad():
        torch.testing.assert_close(model(x), (x - mean) / std, rtol=0, atol=0)
    summary = summarize(_graph())
    assert summary.params == 0 and list(summary.nodes[1].output_shape) == [3, 4, 4]


@pytest.mark.parametrize("params, shape", [
    ({"mean": [0.5], "std": [0.25]}, (1, 5, 5)),  # one channel
    ({"mean": 0.5, "std": 2}, (3, 5, 5)),  # one value for all channels
    ({"mean": [1.0, -2.0], "std": [0.5, 4.0]}, (2, 7)),  # [C, L]
    ({"mean": [0.1, 0.2, 0.3, 0.4], "std": [1, 2, 3, 4]}, (4,)),  # the features of [F]
])
def test_each_channel_gets_its_own_mean_and_std(params, shape):
    model = compile_graph(_graph(params, shape)).eval()
    x = torch.randn(3, *shape)
    view = [1, -1] + [1] * (len(shape) - 1)
    mean = torch.tensor(params["mean"], dtype=torch.float32).reshape(view)
    std = torch.tensor(params["std"], dtype=torch.float32).reshape(view)
    with torch.no_grad():
        torch.testing.assert_close(model(x), (x - mean) / std, rtol=0, atol=0)


@pytest.mark.parametrize("params, shape, param, message", [
    ({}, (1, 28, 28), "mean",
     "mean has 3 values, but the input [1, 28, 28] has 1 channel (dimension 0): give one value "
     "per channel, or one for all"),
    ({"mean": [0.5]}, (1, 28, 28), "std",
     "std has 3 values, but the input [1, 28, 28] has 1 channel (dimension 0): give one value "
     "per channel, or one for all"),
    ({"mean": [0, 0], "std": [1, 1]}, (4, 6), "mean",
     "mean has 2 values, but the input [4, 6] has 4 channels (dimension 0): give one value per "
     "channel, or one for all"),
])
def test_a_count_that_does_not_fit_the_channels_names_node_and_param(params, shape, param,
                                                                     message):
    report = validate(_graph(params, shape))
    assert [(p.node, p.param, p.message) for p in report.errors] == [("norm", param, message)]


@pytest.mark.parametrize("std", [[0.2, 0.0, 0.2], [-1.0], "wide"])
def test_a_std_that_is_not_positive_is_refused_naming_the_param(std):
    report = validate(_graph({"std": std}))
    assert [(p.node, p.param) for p in report.errors] == [("norm", "std")]


def test_values_are_buffers_that_move_with_the_model_but_not_in_the_state_dict():
    model = compile_graph(_graph({"mean": [1.0, 2.0, 3.0], "std": 2.0}))
    assert list(model.state_dict()) == []
    buffers = dict(model.named_buffers())
    assert buffers["norm.mean"].flatten().tolist() == [1.0, 2.0, 3.0]
    assert buffers["norm.std"].flatten().tolist() == [2.0]
    assert model.double().norm.mean.dtype == torch.float64
    assert repr(model.norm) == "Normalize(mean=[1.0, 2.0, 3.0], std=[2.0])"


def test_generated_code_is_readable_and_runs():
    code = generate_code(_graph())
    assert ("self.norm = Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225], rank=4)"
            in code)
    assert "norm = self.norm(x)  # (B, 3, 4, 4)" in code
    assert "class Normalize(nn.Module):" in code
    namespace: dict = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    written = namespace["Normalized"]().eval()
    written.load_state_dict(compile_graph(_graph()).state_dict(), strict=True)
    x = torch.rand(2, 3, 4, 4)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in IMAGENET)
    with torch.no_grad():
        torch.testing.assert_close(written(x), (x - mean) / std, rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports_carry_the_values(fmt, tmp_path):
    result = export_model(_graph({"mean": [0.1, -0.2, 0.3], "std": [2.0, 0.5, 3.0]}), fmt,
                          tmp_path / f"normalized.{fmt}")
    assert result.max_abs_diff < 1e-6


def test_onnx_file_subtracts_then_divides_and_imports_back_as_one_block(tmp_path):
    import onnx

    from layerloom.graph.import_torch.onnx_in import import_onnx

    graph = _graph({"mean": [0.1, -0.2, 0.3], "std": [2.0, 0.5, 3.0]}, shape=(3, 6, 6))
    export_model(graph, "onnx", tmp_path / "normalized.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "normalized.onnx")).graph.node]
    assert [op for op in ops if op != "Constant"] == ["Sub", "Div"]
    back, state, diff = import_onnx(tmp_path / "normalized.onnx")
    assert diff < 1e-6 and state == {}
    assert [(n.type, n.params) for n in back.nodes if n.type not in ("Input", "Output")] == [
        ("Normalize", {"mean": [0.1, -0.2, 0.3], "std": [2.0, 0.5, 3.0]})]
