"""The ChannelShuffle block: torch.nn.ChannelShuffle's values on any [C, ...] input, a
validation error naming the node, the param and the shape, no params or MACs, readable code,
and TorchScript and ONNX files that give the same outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import ChannelShuffle


def _graph(groups, shape=(4, 5, 5), variables=None) -> dict:
    conv = "Conv2d" if len(shape) == 3 else "Conv1d"
    return {"format": "layerloom-graph", "version": 1, "name": "shuffled",
            "variables": variables or {},
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
                      {"id": "conv", "type": conv,
                       "params": {"out_channels": 12, "kernel_size": 1}},
                      {"id": "shuffle", "type": "ChannelShuffle", "params": {"groups": groups}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "conv"},
                      {"source": "conv", "target": "shuffle"},
                      {"source": "shuffle", "target": "y"}]}


@pytest.mark.parametrize("shape", [(12, 3, 4), (12, 5), (12,), (12, 2, 3, 2)])
@pytest.mark.parametrize("groups", [1, 2, 3, 4, 12])
def test_module_equals_torch_channel_shuffle(shape, groups):
    x = torch.randn(3, *shape)
    # torch's needs a dimension after the channels; on [C] the block shuffles the features
    expected = nn.ChannelShuffle(groups)(x.unsqueeze(-1)).squeeze(-1) if len(shape) == 1 \
        else nn.ChannelShuffle(groups)(x)
    torch.testing.assert_close(ChannelShuffle(groups)(x), expected, rtol=0, atol=0)


def test_module_scripts_and_moves_channels_as_shufflenet_does():
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    assert ChannelShuffle(2)(x).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    scripted = torch.jit.script(ChannelShuffle(3))
    y = torch.randn(2, 6, 7, 9)  # any spatial size
    torch.testing.assert_close(scripted(y), nn.ChannelShuffle(3)(y), rtol=0, atol=0)


def test_compiled_block_keeps_the_shape_and_has_no_params_or_macs():
    summary = summarize(_graph(3))
    node = next(n for n in summary.nodes if n.id == "shuffle")
    assert list(node.output_shape) == [12, 5, 5]
    assert (node.params, node.macs) == (0, 0)
    assert summary.params == 4 * 12 + 12
    model = compile_graph(_graph(3)).eval()
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(model(x), nn.ChannelShuffle(3)(model.conv(x)), rtol=0,
                                   atol=0)


def test_groups_must_divide_the_channels():
    report = validate(_graph(5))
    assert not report.ok
    [problem] = report.errors
    assert (problem.node, problem.param) == ("shuffle", "groups")
    assert "groups 5 does not divide the 12 channels of [12, 5, 5]" in problem.message
    report = validate(_graph(0))
    assert [(p.node, p.param) for p in report.errors] == [("shuffle", "groups")]
    assert "at least 1" in report.errors[0].message


def test_groups_takes_an_expression():
    report = validate(_graph("=g * 2", variables={"g": 2}))
    assert report.ok, [str(p) for p in report.errors]
    layer = report.resolution.top.nodes["shuffle"].copies[0]
    assert layer.params["groups"] == 4
    bad = validate(_graph("=g", variables={"g": 5}))
    assert [str(p) for p in bad.errors] == [
        "shuffle.groups: groups 5 does not divide the 12 channels of [12, 5, 5] "
        "(ChannelShuffle needs C divisible by groups) (groups = g, with the variable g = 5)"]


def test_generated_code_is_readable_and_loads_the_weights():
    code = generate_code(_graph(3, (4, 6)))
    assert "self.shuffle = ChannelShuffle(3)" in code
    assert "shuffle = self.shuffle(conv)  # (B, 12, 6)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    model = compile_graph(_graph(3, (4, 6))).eval()
    written = namespace["Shuffled"]().eval()
    written.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 4, 6)
    with torch.no_grad():
        torch.testing.assert_close(written(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    result = export_model(_graph(4), fmt, tmp_path / f"shuffled.{fmt}")
    assert result.max_abs_diff < 1e-5


def test_onnx_file_runs_at_another_size(tmp_path):
    """Written as reshape/transpose on the tensor's own sizes, the ONNX graph has no size of
    the traced input in it: exported with free height and width, it runs at another size."""
    import onnxruntime as ort

    model = nn.Sequential(nn.Conv2d(4, 12, 1), ChannelShuffle(3)).eval()
    path = tmp_path / "free.onnx"
    axes = {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(model, (torch.randn(2, 4, 5, 5),), str(path), dynamo=False,
                      opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": axes, "y": axes})
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.randn(3, 4, 7, 9)
    got = torch.as_tensor(session.run(None, {"x": x.numpy()})[0])
    with torch.no_grad():
        torch.testing.assert_close(got, nn.ChannelShuffle(3)(model[0](x)), atol=1e-5,
                                   rtol=1e-5)
