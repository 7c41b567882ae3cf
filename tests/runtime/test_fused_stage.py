"""The first stage run as one C loop (runtime/fused_stage.py) computes what the modules compute."""

from __future__ import annotations

import copy
import os
import stat
import subprocess
import sys
from importlib import resources

import pytest
import torch
from torch import fx, nn

from layerloom.graph import load_graph
from layerloom.graph.compile import compile_graph
from layerloom.runtime import TrainConfig, native, prepare_model, train
from layerloom.runtime.diagnostics import LayerProbe
from layerloom.runtime.fused_stage import (_threads, conv_pool_relu, fuse_conv_pool_relu,
                                            kernel_for)
from layerloom.runtime.rewrite import rewrite_for_speed, routed_calls

from .conftest import noise_images

needs_cc = pytest.mark.skipif(native.compiler() is None, reason="no C compiler on this machine")


def stage(cin=1, cout=32, k=3, padding=0, bias=True):
    torch.manual_seed(0)
    return fx.symbolic_trace(nn.Sequential(nn.Conv2d(cin, cout, k, padding=padding, bias=bias),
                                           nn.ReLU(), nn.MaxPool2d(2)))


def outputs_and_grads(model, x, grad):
    out = model(x)
    params = [p for p in model.parameters() if p.requires_grad]
    return out, torch.autograd.grad(out, params, grad)


def close(a, b, rtol=2e-6):
    """Equal up to float rounding: the sums are added in another order."""
    return (a - b).abs().max().item() <= rtol * max(b.abs().max().item(), 1.0)


def routed(model) -> bool:
    return any(n.target is conv_pool_relu for n in model.graph.nodes)


@needs_cc
@pytest.mark.parametrize("cin, cout, k, size, padding, bias, channels_last", [
    (1, 32, 3, 28, 0, True, True),     # seed-cnn's first stage, as it trains
    (1, 32, 3, 28, 0, True, False),
    (3, 20, 3, 32, 1, True, True),     # RGB, padded, channels not a multiple of 16
    (3, 48, 5, 27, 0, False, False),   # odd map: the last row and column are not pooled
    (2, 5, 2, 7, 0, True, False),
    (1, 16, 1, 6, 0, True, True),      # 1x1 kernel
])
def test_fused_stage_matches_the_modules(cin, cout, k, size, padding, bias, channels_last,
                                        monkeypatch):
    monkeypatch.setattr("layerloom.runtime.fused_stage.MIN_ROWS_PER_THREAD", 4)  # split 13 rows
    plain = stage(cin, cout, k, padding, bias)
    fused = copy.deepcopy(plain)
    # the ReLU moved behind the pool, the input routed by the crop of unread edges where the
    # convolution has no padding (it crops the 27 map's: the last row and column are not
    # pooled), then the chain routed
    assert rewrite_for_speed(fused) == (3 if padding == 0 else 2)
    assert routed(fused)
    if channels_last:
        plain, fused = (m.to(memory_format=torch.channels_last) for m in (plain, fused))
    x = torch.randn(13, cin, size, size)  # 13 rows: uneven slices for two threads
    out0, grads0 = outputs_and_grads(plain, x, grad := torch.randn_like(plain(x)))
    for threads in (1, 2):
        torch.set_num_threads(threads)
        try:
            assert _threads(len(x)) == threads
            out, grads = outputs_and_grads(fused, x, grad)
        finally:
            torch.set_num_threads(1)
        assert out.shape == out0.shape
        assert close(out, out0)
        for g, g0 in zip(grads, grads0, strict=True):
            assert g.shape == g0.shape and close(g, g0)
        # the next layer gets the layout the convolution would have given it
        assert out.is_contiguous(memory_format=torch.channels_last) == \
            out0.is_contiguous(memory_format=torch.channels_last)
        assert out.is_contiguous() == out0.is_contiguous()


@needs_cc
@pytest.mark.parametrize("channels_last", [False, True])
def test_a_cropped_batch_is_read_where_it_lies(channels_last):
    """Images cropped to the 26x26 the pooling reads (a view of the batch, as seed-cnn's
    28x28 are for its second pooling) reach the loop as they are: no copy of the batch,
    forward or backward, and the same numbers as from a contiguous copy."""
    from torch.profiler import profile

    fused = stage()
    assert rewrite_for_speed(fused) == 3
    if channels_last:
        fused = fused.to(memory_format=torch.channels_last)
    x = torch.randn(8, 1, 27, 27)  # conv: 25, of which the pooling reads 24
    # as conv2's backward hands it on in training: channels last
    grad = torch.randn(8, 32, 12, 12).contiguous(memory_format=torch.channels_last)
    with profile() as prof:
        out, grads = outputs_and_grads(fused, x, grad)
    ops = {e.key for e in prof.key_averages()}
    assert not {"aten::clone", "aten::contiguous", "aten::copy_"} & ops, ops
    out0, grads0 = outputs_and_grads(fused, x[:, :, :26, :26].contiguous(), grad)
    assert torch.equal(out, out0)
    assert all(torch.equal(g, g0) for g, g0 in zip(grads, grads0, strict=True))


@needs_cc
def test_a_wide_first_layer_runs_without_overflowing_a_stack():
    """The transposed weight lives in a tensor, not on the C stack: 30,000 channels of 3×5×5
    taps (9 MB) trained on a thread's 8 MB stack crashed the process."""
    plain = stage(cin=3, cout=30000, k=5)
    fused = copy.deepcopy(plain)
    rewrite_for_speed(fused)
    assert routed(fused)
    x = torch.randn(2, 3, 8, 8)
    out0, grads0 = outputs_and_grads(plain, x, grad := torch.randn(2, 30000, 2, 2))
    out, grads = outputs_and_grads(fused, x, grad)
    assert close(out, out0)
    for g, g0 in zip(grads, grads0, strict=True):
        assert close(g, g0)


@needs_cc
def test_ties_dead_units_and_nan_follow_torch():
    plain = stage(cout=16)
    with torch.no_grad():
        plain.get_submodule("0").weight[:8] = 0.0   # constant maps: every window a 4-way tie
        plain.get_submodule("0").bias[:4] = -1.0     # ... of a negative value: ReLU kills it
    fused = copy.deepcopy(plain)
    rewrite_for_speed(fused)
    x = torch.randn(4, 1, 10, 10)
    x[0, 0, 3, 3] = float("nan")
    grad = torch.randn(4, 16, 4, 4)
    out0, grads0 = outputs_and_grads(plain, x, grad)
    out, grads = outputs_and_grads(fused, x, grad)
    assert torch.equal(out.isnan(), out0.isnan()) and out.isnan().any()
    ok = ~out0.isnan()
    assert close(out[ok], out0[ok])
    assert (out[1:, :4] == 0).all()  # the dead channels (0 × NaN is NaN in sample 0)
    for g, g0 in zip(grads, grads0):
        assert torch.equal(g.isnan(), g0.isnan())
        assert close(torch.nan_to_num(g), torch.nan_to_num(g0))
    # an exact 4-way tie of a positive value: the gradient goes to the window's first cell, as
    # MaxPool2d's does, so the weight gradient reads the same input cells
    tie = stage(cout=16)
    with torch.no_grad():
        tie.get_submodule("0").weight.zero_()
        tie.get_submodule("0").bias.fill_(0.5)
    tie_fused = copy.deepcopy(tie)
    rewrite_for_speed(tie_fused)
    x, g = torch.randn(2, 1, 10, 10), torch.randn(2, 16, 4, 4)
    ref, got = outputs_and_grads(tie, x, g)[1], outputs_and_grads(tie_fused, x, g)[1]
    assert close(got[0], ref[0]) and close(got[1], ref[1])
    shifted = torch.roll(x, shifts=1, dims=3)  # another cell of each window would differ
    assert not close(outputs_and_grads(tie, shifted, g)[1][0], ref[0])


@needs_cc
def test_input_that_needs_a_gradient_or_hooks_runs_the_modules():
    plain = stage()
    fused = copy.deepcopy(plain)
    rewrite_for_speed(fused)
    x = torch.randn(3, 1, 12, 12, requires_grad=True)  # saliency maps ask for this
    fused(x).sum().backward()
    x0 = x.detach().clone().requires_grad_()
    plain(x0).sum().backward()
    assert torch.equal(x.grad, x0.grad)  # the C loop has no input gradient: the modules ran
    seen = []
    fused.get_submodule("0").register_forward_hook(lambda m, i, o: seen.append(o.shape))
    fused(torch.randn(2, 1, 12, 12))
    assert seen == [torch.Size([2, 32, 10, 10])]
    assert fused(torch.randn(0, 1, 12, 12)).shape == (0, 32, 5, 5)  # an empty batch


@needs_cc
def test_diagnostics_watch_the_first_stage_of_a_fused_model():
    graph = load_graph(str(resources.files("layerloom.assets") / "templates" / "seed-cnn.json"))
    module = prepare_model(graph, noise_images(16), TrainConfig()).module
    assert routed_calls(module) == 3  # the crop of unread edges, the C loop, pool2 + relu2
    diag = LayerProbe(module)
    diag.start()
    module(torch.randn(8, 1, 28, 28)).square().sum().backward()
    stats = diag.finish()
    assert {"act_mean", "act_std", "zeros", "grad_norm"} <= set(stats["conv1"])
    assert 0.0 < stats["relu1"]["zeros"] < 1.0


@needs_cc
def test_seed_cnn_trains_the_same_fused_or_not(monkeypatch):
    graph = str(resources.files("layerloom.assets") / "templates" / "seed-cnn.json")
    config = TrainConfig(epochs=2, batch_size=32, num_threads=1, seed=3)
    results = []
    for flag in ("1", "0"):
        monkeypatch.setenv("LAYERLOOM_NATIVE", flag)
        results.append(train(graph, noise_images(), config))
    fused, plain = results
    for a, b in zip(fused.history, plain.history, strict=True):
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-4 * max(1.0, abs(b["train_loss"]))
    weights = fused.model.state_dict()
    assert list(weights) == list(plain.model.state_dict())
    for key, value in plain.model.state_dict().items():
        assert close(weights[key], value, rtol=1e-4), key
    # the trained model handed on is the graph as drawn: it scripts (the C loop would not)
    assert routed_calls(fused.model) == 0
    scripted = torch.jit.script(fused.model)
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(scripted(x), fused.model(x))


def test_switched_off_or_without_a_compiler_the_modules_stay(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    model = stage()
    # only the ReLU moved and the input routed by the crop (unread_edges.py): no C loop
    assert rewrite_for_speed(model) == 2 and not routed(model)
    monkeypatch.setenv("LAYERLOOM_NATIVE", "1")
    monkeypatch.setenv("LAYERLOOM_CACHE", str(tmp_path))
    monkeypatch.setattr(native, "compiler", lambda: None)
    monkeypatch.setattr(native, "_loaded", {})
    monkeypatch.setattr("layerloom.runtime.fused_stage._kernels", {})
    monkeypatch.setattr("layerloom.runtime.fused_pool._kernels", {})
    model = stage(cout=24)
    assert rewrite_for_speed(model) == 2 and not routed(model)
    assert "no C compiler" in native.why_not("conv_pool_relu.c",
                                              {"CIN": 1, "KH": 3, "KW": 3, "CP": 32})
    x = torch.randn(2, 1, 9, 9)
    assert model(x).shape == (2, 24, 3, 3)


@pytest.mark.parametrize("conv, pool, act", [
    (nn.Conv2d(1, 8, 3, stride=2), nn.MaxPool2d(2), nn.ReLU()),
    (nn.Conv2d(1, 8, 3, dilation=2), nn.MaxPool2d(2), nn.ReLU()),
    (nn.Conv2d(2, 8, 3, groups=2), nn.MaxPool2d(2), nn.ReLU()),
    (nn.Conv2d(1, 8, 3, padding=1, padding_mode="reflect"), nn.MaxPool2d(2), nn.ReLU()),
    (nn.Conv2d(1, 8, 3), nn.MaxPool2d(3), nn.ReLU()),
    (nn.Conv2d(1, 8, 3), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU()),
    (nn.Conv2d(1, 8, 3), nn.MaxPool2d(2, padding=1), nn.ReLU()),
    (nn.Conv2d(1, 8, 3), nn.AvgPool2d(2), nn.ReLU()),
    (nn.Conv2d(1, 8, 3), nn.MaxPool2d(2), nn.ReLU6()),
    (nn.Conv2d(16, 8, 3), nn.MaxPool2d(2), nn.ReLU()),  # 144 taps: oneDNN's work
])
def test_other_layers_are_not_routed(conv, pool, act):
    model = fx.symbolic_trace(nn.Sequential(conv, act, pool))
    rewrite_for_speed(model)
    assert not routed(model)


def test_a_stage_whose_output_is_read_elsewhere_is_not_routed():
    graph = {"format": "layerloom-graph", "version": 1, "name": "two-heads",
             "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                       {"id": "conv", "type": "Conv2d",
                        "params": {"out_channels": 2, "kernel_size": 3}},
                       {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}},
                       {"id": "relu", "type": "ReLU"},
                       {"id": "a", "type": "Output"}, {"id": "b", "type": "Output"}],
             "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "pool"},
                       {"source": "pool", "target": "relu"}, {"source": "relu", "target": "a"},
                       {"source": "pool", "target": "b"}]}
    model = compile_graph(graph)
    assert fuse_conv_pool_relu(model) == 0


@needs_cc
def test_kernels_are_built_once_into_a_private_cache(tmp_path):
    code = ("import torch\n"
            "from torch import fx, nn\n"
            "from layerloom.runtime.rewrite import rewrite_for_speed\n"
            "m = fx.symbolic_trace(nn.Sequential(nn.Conv2d(1, 7, 3), nn.ReLU(), nn.MaxPool2d(2)))\n"
            "print(rewrite_for_speed(m))\n")
    env = {**os.environ, "LAYERLOOM_CACHE": str(tmp_path / "cache"), "LAYERLOOM_NATIVE": "1"}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True) for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["3", "3"]
    folder = tmp_path / "cache" / "kernels"
    built = list(folder.iterdir())
    assert len(built) == 1 and built[0].name.startswith("conv_pool_relu-")
    assert built[0].suffix == ".so"
    assert not folder.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    # a cache folder others may write in is refused: a library found there would run as us
    shared = tmp_path / "shared"
    (shared / "kernels").mkdir(parents=True)
    (shared / "kernels").chmod(0o777)
    env["LAYERLOOM_CACHE"] = str(shared)
    code += ("from layerloom.runtime import native\n"
             "print(native.why_not('conv_pool_relu.c', {'CIN': 1, 'KH': 3, 'KW': 3, 'CP': 16}))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "2"  # the ReLU moved, the input routed by the crop; no C loop
    assert "not private to this user" in out[1] and "LAYERLOOM_CACHE" in out[1]
    assert list((shared / "kernels").iterdir()) == []


@needs_cc
@pytest.mark.parametrize("cin, cout, k, channels_last", [(1, 32, 3, True), (3, 20, 3, False)])
def test_under_bf16_autocast_the_loop_hands_on_bfloat16(cin, cout, k, channels_last):
    """Under CPU bf16 autocast the convolution would give a bfloat16 map: the loop gives its
    float32 result rounded to bfloat16 (nearest even, NaN kept), reads the bfloat16 gradient
    the next layer sends back, and its weight gradient is the one that gradient gives."""
    fused = stage(cin, cout, k)
    rewrite_for_speed(fused)
    if channels_last:
        fused = fused.to(memory_format=torch.channels_last)
    x = torch.randn(9, cin, 14, 14)
    x[0, 0, 2, 2] = float("nan")
    out32 = fused(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out16 = fused(x)
    assert out16.dtype == torch.bfloat16 and out32.dtype == torch.float32
    assert torch.equal(out16.isnan(), out32.isnan()) and out16.isnan().any()
    ok = ~out32.isnan()
    assert torch.equal(out16[ok], out32.bfloat16()[ok])  # one rounding of the float32 sums
    assert out16.is_contiguous(memory_format=torch.channels_last) == channels_last
    grad = torch.randn(out16.shape).bfloat16()
    params = list(fused.parameters())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = torch.autograd.grad(fused(x[1:]), params, grad[1:])
    want = torch.autograd.grad(fused(x[1:]), params, grad[1:].float())
    for g, w in zip(got, want, strict=True):
        assert g.dtype == torch.float32 and close(g, w)


@needs_cc
def test_the_loop_runs_on_torchs_own_threads():
    """Built with OpenMP, the loop shares the batch among torch's threads: two threads give
    what one gives, and the process has no more threads after than before (the loop found
    torch's libgomp already loaded; a Python pool or a second runtime would add some)."""
    if not native.shares_torch_threads():
        pytest.skip("torch here does not run on GNU OpenMP's libgomp.so.1")
    assert kernel_for(nn.Conv2d(1, 32, 3))[2]  # built threaded
    plain = stage()
    fused = copy.deepcopy(plain)
    rewrite_for_speed(fused)
    x = torch.randn(64, 1, 28, 28)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        torch.randn(512, 512) @ torch.randn(512, 512)  # torch's pool has its threads
        tasks = len(os.listdir("/proc/self/task"))
        assert _threads(len(x)) == 2
        two = outputs_and_grads(fused, x, grad := torch.randn(64, 32, 13, 13))
        assert len(os.listdir("/proc/self/task")) == tasks
        torch.set_num_threads(1)
        one = outputs_and_grads(fused, x, grad)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(two[0], one[0])
    for a, b in zip(two[1], one[1], strict=True):  # two partial sums of 32 rows, then added
        assert close(a, b, rtol=1e-5)


def test_openmp_is_used_only_when_it_is_torchs(monkeypatch, tmp_path):
    """Kernels are built with OpenMP only where torch loaded GNU's libgomp.so.1 (another
    package's bundled copy under its own name changes nothing), and a library that mapped a
    runtime of its own on loading is called with one thread."""
    shares = native.shares_torch_threads.__wrapped__
    for files, expected in [
        ({"/site/torch/lib/libgomp.so.1"}, True),
        ({"/site/torch/lib/libgomp.so.1", "/site/scikit_learn.libs/libgomp-a34b3233.so.1"}, True),
        ({"/site/torch/lib/libiomp5.so"}, False),
        ({"/site/torch/lib/libgomp.so.1", "/opt/intel/lib/libiomp5.so"}, False),
        (set(), False),
    ]:
        monkeypatch.setattr(native, "_openmp_files", lambda files=files: files)
        assert shares() is expected, files
    if native.compiler() is None:
        return
    mapped = iter([set(), {"/usr/lib/libgomp.so.1"}])  # before and after loading
    monkeypatch.setattr(native, "_openmp_files", lambda: next(mapped))
    monkeypatch.setenv("LAYERLOOM_CACHE", str(tmp_path))
    lib = native._build_and_load("conv_pool_relu.c", {"CIN": 1, "KH": 2, "KW": 2, "CP": 16},
                                 openmp=True)
    assert lib.layerloom_threaded is False
