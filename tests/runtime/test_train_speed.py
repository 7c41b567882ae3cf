"""The runtime's speed measures keep doing what they were measured to do (benchmarks/peer_keras)."""

from __future__ import annotations

import copy
import os
import platform
import resource
import statistics
import subprocess
import sys
from importlib import resources

import pytest
import torch
from torch import fx

from layerloom.graph import load_graph, validate
from layerloom.graph.compile import compile_graph
from layerloom.runtime import TrainConfig, native, prepare_model, train
from layerloom.runtime.device import keep_freed_memory
from layerloom.runtime.fused_pool import pool_relu
from layerloom.runtime.fused_stage import conv_pool_relu
from layerloom.runtime.rewrite import rewrite_for_speed
from layerloom.runtime.unread_edges import crop_to_read

from .conftest import noise_images

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_training_steps_reuse_memory_without_page_faults():
    # Without keep_freed_memory, each seed-cnn step at batch 32 faults about 2,800 fresh pages
    # in (11 MiB of activations zeroed by the kernel); with it, none once the heap has grown.
    assert keep_freed_memory()
    faults = []

    def on_event(event):
        if event.kind == "step":
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)

    graph = resources.files("layerloom.assets") / "templates" / "seed-cnn.json"
    train(str(graph), noise_images(64 * 32), TrainConfig(epochs=1, batch_size=32, log_every=1,
                                                  num_threads=1), callback=on_event)
    per_step = [b - a for a, b in zip(faults[-21:], faults[-20:])]
    assert statistics.median(per_step) < 100, per_step


TEMPLATES = sorted(p.name.removesuffix(".json") for p in
                   (resources.files("layerloom.assets") / "templates").iterdir()
                   if p.name.endswith(".json"))


def _template(name: str):
    return load_graph(str(resources.files("layerloom.assets") / "templates" / f"{name}.json"))


MOVED = {"seed-cnn": 2, "resnet18": 1}  # ReLU → MaxPool pairs: two stages; the stem


ROUTED = {"seed-cnn": ["conv1"]}  # first stages in the C loop (the others: Tanh, stride 2, BN...)
POOLED = {"seed-cnn": ["pool2"]}  # 2x2 max pools and their ReLU in fused_pool.py's loop
# chains whose input goes through the crop of unread edges: seed-cnn's data (its second pooling
# drops a row and a column), LeNet-5's from c1 on (it reads all, and c1's output needs a gradient)
CROPPED = {"seed-cnn": 1, "lenet5": 1}
needs_cc = pytest.mark.skipif(native.compiler() is None, reason="no C compiler on this machine")


@pytest.mark.parametrize("kernels", ["0", pytest.param("1", marks=needs_cc)])
@pytest.mark.parametrize("name", TEMPLATES)
def test_rewrite_for_speed_keeps_outputs_and_gradients(name, kernels, monkeypatch):
    # kernels off: the moved ReLUs alone, bit for bit, and seed-cnn's cropped edges (the kernels
    # may add a sum over a smaller map in another order: equal up to float rounding); on: the C
    # loop of fused_stage.py too, which adds the convolution's products in another order
    monkeypatch.setenv("LAYERLOOM_NATIVE", kernels)
    graph = _template(name)
    top = validate(graph).resolution.top
    source = top.nodes[top.inputs[0]]
    torch.manual_seed(0)
    plain = compile_graph(graph)
    fast = copy.deepcopy(plain)
    rewrites = rewrite_for_speed(fast)
    fused = [n.args[1].target for sub in fast.modules() if isinstance(sub, fx.GraphModule)
             for n in sub.graph.nodes if n.target is conv_pool_relu]
    pooled = [n.args[1].target for sub in fast.modules() if isinstance(sub, fx.GraphModule)
              for n in sub.graph.nodes if n.target is pool_relu]
    crops = sum(n.target is crop_to_read for sub in fast.modules()
                if isinstance(sub, fx.GraphModule) for n in sub.graph.nodes)
    assert crops == CROPPED.get(name, 0)
    rewrites -= crops
    if source.dtype == "int64":
        x = torch.randint(0, 8, (3, *source.shape))
    else:
        x = torch.randn(3, *source.shape)
    outs = []
    for model in (plain, fast):
        torch.manual_seed(1)  # the same dropout masks
        out = model.train()(x)
        out.float().square().sum().backward()
        outs.append(out)
    pairs = [(outs[0], outs[1])] + [(a.grad, b.grad) for a, b in
                                    zip(plain.parameters(), fast.parameters())]
    if kernels == "0":
        assert fused == pooled == [] and rewrites == MOVED.get(name, rewrites)
        if name == "seed-cnn":  # its first convolution's weight gradient sums 26 columns, not 28
            assert all((a - b).abs().max() <= 1e-6 * max(a.abs().max(), 1.0) for a, b in pairs)
        else:
            assert all(torch.equal(a, b) for a, b in pairs)
    else:
        moved = rewrites - len(fused) - len(pooled)
        assert fused == ROUTED.get(name, []) and moved == MOVED.get(name, moved)
        assert pooled == POOLED.get(name, [])
        assert all((a - b).abs().max() <= 1e-4 * max(a.abs().max(), 1.0) for a, b in pairs)
    assert list(fast.state_dict()) == list(plain.state_dict())


def test_pool_runs_before_relu_in_the_model_that_trains(monkeypatch):
    graph = _template("seed-cnn")
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    prepared = prepare_model(graph, noise_images(16), TrainConfig())
    calls = [n.target for n in prepared.module.graph.nodes if n.op == "call_module"]
    assert calls == ["conv1", "pool1", "relu1", "conv2", "pool2", "relu2", "flat", "fc"]


def test_moved_relu_runs_in_place_on_the_pooling_output():
    graph = _template("seed-cnn")
    module = prepare_model(graph, noise_images(16), TrainConfig()).module
    assert module.relu1.inplace and module.relu2.inplace
    plain = compile_graph(graph)
    assert not plain.relu1.inplace  # the compiled graph itself (exports) is left as it was


def test_leaky_relu_without_slope_moves_but_not_in_place():
    from torch import fx, nn

    model = fx.symbolic_trace(nn.Sequential(nn.Conv2d(1, 2, 3), nn.LeakyReLU(0.0),
                                            nn.MaxPool2d(2)))
    x = torch.randn(2, 1, 8, 8)
    before = model(x)
    assert rewrite_for_speed(model) == 2  # the ReLU moved; the chain's input goes by the crop
    assert not model.get_submodule("1").inplace
    assert torch.equal(model(x), before)


def test_relu_used_elsewhere_stays_before_the_pool():
    graph = {"format": "layerloom-graph", "version": 1, "name": "two-heads",
             "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                       {"id": "conv", "type": "Conv2d",
                        "params": {"out_channels": 2, "kernel_size": 3}},
                       {"id": "relu", "type": "ReLU"},
                       {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}},
                       {"id": "a", "type": "Output"}, {"id": "b", "type": "Output"}],
             "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "relu"},
                       {"source": "relu", "target": "pool"}, {"source": "pool", "target": "a"},
                       {"source": "relu", "target": "b"}]}
    model = compile_graph(graph)
    assert rewrite_for_speed(model) == 0


@pytest.mark.parametrize("given, expected", [(None, "30000"), ("5", "5")])
def test_runtime_shortens_openmp_spinning_unless_told_otherwise(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    if given is not None:
        env["GOMP_SPINCOUNT"] = given
    code = "import os, layerloom.runtime; print(os.environ['GOMP_SPINCOUNT'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == expected


@pytest.mark.parametrize("name, weight_decay", [("adam", 0.0), ("adam", 0.01), ("adamw", 0.01)])
def test_lean_fused_adam_steps_match_torch_bit_for_bit(name, weight_decay):
    from layerloom.runtime.optim import LeanAdam, LeanAdamW, make_optimizer

    torch.manual_seed(0)
    ours = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 3)).to(memory_format=torch.channels_last)
    theirs = copy.deepcopy(ours)
    config = TrainConfig(optimizer=name, lr=1e-3, weight_decay=weight_decay)
    opt = make_optimizer(ours, config, torch.device("cpu"))
    assert isinstance(opt, LeanAdam if name == "adam" else LeanAdamW)
    ref_cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    ref = ref_cls(theirs.parameters(), lr=1e-3, weight_decay=weight_decay, fused=True)
    x = torch.randn(5, 1, 8, 8)
    for i in range(5):
        for model, optimizer in ((ours, opt), (theirs, ref)):
            model(x).square().sum().backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            optimizer.param_groups[0]["lr"] = 1e-3 * (i + 2)  # a schedule sets it each step
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)
    mine, torchs = opt.state_dict(), ref.state_dict()
    assert mine["param_groups"] == torchs["param_groups"]
    for key, state in torchs["state"].items():
        for field, value in state.items():
            assert torch.equal(mine["state"][key][field], value), (key, field)


def test_lean_adam_runs_step_hooks_and_shows_in_the_profiler():
    """The lean step skips torch's hook wrapper only while nothing would notice: registered
    step hooks still run once a step, a profiler still sees ``Optimizer.step#LeanAdam.step``,
    and the numbers stay torch's."""
    from torch.profiler import profile

    from layerloom.runtime.optim import LeanAdam

    torch.manual_seed(0)
    ours = [torch.randn(5, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    opt, ref = LeanAdam(ours, lr=0.1, fused=True), torch.optim.Adam(theirs, lr=0.1, fused=True)
    assert not hasattr(type(opt).step, "__wrapped__")  # torch did not wrap it
    pre, post, names, now = [], [], [], [0]
    for i in range(4):
        now[0] = i
        for p, q in zip(ours, theirs):
            p.grad, q.grad = (g := torch.randn_like(p)), g.clone()
        if i == 2:
            opt.register_step_pre_hook(lambda o, args, kwargs: pre.append(now[0]))
            opt.register_step_post_hook(lambda o, args, kwargs: post.append(now[0]))
        if i == 3:
            with profile() as prof:
                opt.step()
            names = [e.key for e in prof.key_averages()]
        else:
            opt.step()
        ref.step()
        opt.zero_grad()
        ref.zero_grad()
        assert all(p.grad is None for p in ours)
    assert pre == post == [2, 3]
    assert "Optimizer.step#LeanAdam.step" in names
    assert all(torch.equal(p, q) for p, q in zip(ours, theirs))


def test_a_batch_holds_the_rows_of_its_index_in_the_data_layout():
    """The trainer's batch gather (``index_select`` for a contiguous tensor) gives what
    indexing gives: the same rows in order, channels-last data staying channels-last."""
    from layerloom.runtime.trainer import Trainer

    index = torch.tensor([7, 0, 3, 3])
    plain = torch.randn(10, 3, 4, 4)
    last = plain.contiguous(memory_format=torch.channels_last)
    for data in (plain, last, torch.arange(10), torch.randint(0, 50, (10, 6))):
        rows = Trainer._rows(data, index)
        assert torch.equal(rows, data[index])
        assert rows.stride() == data[index].stride()
