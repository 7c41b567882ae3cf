"""The ShiftedWindowAttention and PatchMerging blocks (Swin V1, channels-last [H, W, C]):
torchvision's values bit for bit (its code is written in tests/export/test_import_swin.py),
on sizes that need padding, a shift, or a window larger than the map; params and MACs as torch
counts them; validation errors naming node and param; readable code; TorchScript and ONNX."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.modules import PatchMerging, ShiftedWindowAttention


def _torchvision():
    path = Path(__file__).resolve().parents[1] / "export" / "test_import_swin.py"
    spec = importlib.util.spec_from_file_location("swin_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tv = _torchvision()


def _graph(shape=(8, 8, 16), heads=2, window=4, shift=2, merge=True) -> dict:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": list(shape)}},
             {"id": "attn", "type": "ShiftedWindowAttention",
              "params": {"num_heads": heads, "window_size": window, "shift_size": shift}}]
    if merge:
        nodes.append({"id": "merge", "type": "PatchMerging"})
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "layerloom-graph", "version": 1, "name": "swin-bits", "nodes": nodes,
            "edges": edges}


@pytest.mark.parametrize("shape, window, shift, heads", [
    ((8, 8, 16), [4, 4], [2, 2], 2),   # shifted windows, no padding
    ((8, 8, 16), [4, 4], [0, 0], 4),   # plain windows
    ((7, 5, 8), [3, 4], [1, 2], 2),    # padded to window multiples, then shifted
    ((3, 3, 8), [4, 4], [2, 2], 1),    # window larger than the map: padded, shift dropped
    ((9, 6, 8), [4, 4], [0, 2], 2),    # shifted along W only
])
def test_window_attention_equals_torchvision(shape, window, shift, heads):
    torch.manual_seed(0)
    reference = tv.ShiftedWindowAttention(shape[2], window, shift, heads).eval()
    with torch.no_grad():
        reference.relative_position_bias_table.normal_()
    block = ShiftedWindowAttention(shape[2], window, shift, heads).eval()
    block.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        expected = reference(x)
        assert torch.equal(block(x), expected)
        assert torch.equal(torch.jit.script(block)(x), expected)
    assert expected.abs().max() > 0.1


@pytest.mark.parametrize("shape", [(8, 8, 4), (5, 7, 3), (1, 1, 2)])
def test_patch_merging_equals_torchvision(shape):
    torch.manual_seed(0)
    reference = tv.PatchMerging(shape[2]).eval()
    block = PatchMerging(shape[2]).eval()
    block.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        got = block(x)
        assert torch.equal(got, reference(x))
    assert list(got.shape[1:]) == [-(-shape[0] // 2), -(-shape[1] // 2), 2 * shape[2]]


def _macs(model, x) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2 // x.shape[0]


@pytest.mark.parametrize("shape, window", [((8, 8, 16), 4), ((7, 5, 8), [3, 4]),
                                           ((3, 3, 8), 4)])
def test_params_and_macs_as_torch_counts_them(shape, window):
    graph = _graph(shape, window=window, shift=1)
    summary = summarize(graph)
    model = compile_graph(graph).eval()
    assert summary.params == sum(p.numel() for p in model.parameters())
    nodes = {n.id: n for n in summary.nodes}
    assert list(nodes["attn"].output_shape) == list(shape)
    assert list(nodes["merge"].output_shape) == [-(-shape[0] // 2), -(-shape[1] // 2),
                                                 2 * shape[2]]
    x = torch.randn(2, *shape)
    assert nodes["attn"].macs == _macs(model.attn, x)
    assert nodes["merge"].macs == _macs(model.merge, model.attn(x))
    c = shape[2]
    wh, ww = (window, window) if isinstance(window, int) else window
    assert nodes["attn"].params == 4 * c * c + 4 * c + (2 * wh - 1) * (2 * ww - 1) * 2
    assert nodes["merge"].params == 8 * c * c + 8 * c


def test_heads_must_divide_the_channels_and_shift_stay_inside_the_window():
    report = validate(_graph(heads=3))
    assert [(p.node, p.param) for p in report.errors] == [("attn", "num_heads")]
    assert "num_heads 3 does not divide the 16 channels of [8, 8, 16]" in \
        report.errors[0].message
    report = validate(_graph(shift=4))
    assert [(p.node, p.param) for p in report.errors] == [("attn", "shift_size")]
    assert "shift_size [4, 4] must be smaller than window_size [4, 4]" in \
        report.errors[0].message
    report = validate(_graph(shape=(64, 16), merge=False))
    assert [p.node for p in report.errors] == ["attn"]
    assert "[H, W, C] (channels last)" in report.errors[0].message
    assert validate(_graph(shape=(2, 3, 16))).ok  # a window larger than the map is padded


def test_generated_code_is_readable_and_loads_the_weights():
    graph = _graph()
    code = generate_code(graph)
    assert "self.attn = ShiftedWindowAttention(16, [4, 4], shift_size=[2, 2], num_heads=2)" \
        in code
    assert "self.merge = PatchMerging(16)" in code
    namespace: dict = {}
    exec(compile(code, "generated.py", "exec"), namespace)  # our own generated code
    model = compile_graph(graph).eval()
    written = namespace["SwinBits"]().eval()
    written.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 8, 8, 16)
    with torch.no_grad():
        assert torch.equal(written(x), model(x))


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports(fmt, tmp_path):
    result = export_model(_graph((7, 5, 8), window=[3, 4], shift=[1, 2]), fmt,
                          tmp_path / f"swin.{fmt}")
    assert result.max_abs_diff < 1e-5
