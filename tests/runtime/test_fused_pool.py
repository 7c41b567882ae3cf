"""A 2×2 max pooling and its ReLU run as one C loop (runtime/fused_pool.py) compute what the
modules compute, bit for bit, forward and backward."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import fx, nn

from layerloom.runtime import native, rewrite
from layerloom.runtime.fused_pool import fuse_pool_relu, pool_relu
from layerloom.runtime.rewrite import rewrite_for_speed

needs_cc = pytest.mark.skipif(native.compiler() is None, reason="no C compiler on this machine")

POOL, ACT = nn.MaxPool2d(2), nn.ReLU()


def awkward(shape, dtype, seed=0):
    """Values with the cases pooling must get right: ties, zeros (the ReLU's edge), -0.0, a NaN,
    channels last as a convolution leaves them."""
    torch.manual_seed(seed)
    x = torch.randn(shape).round(decimals=1)  # rounding makes ties in many windows
    flat = x.view(-1)
    flat[::7] = 0.0
    flat[3::11] = -0.0
    flat[min(5, flat.numel() - 1)] = float("nan")
    return x.to(dtype).contiguous(memory_format=torch.channels_last).requires_grad_()


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal bit for bit (so -0.0 is not 0.0), NaN where NaN (torch's bfloat16 pooling rewrites
    the bits of some NaNs, by which path it takes)."""
    bits = torch.int16 if a.dtype == torch.bfloat16 else torch.int32
    nan = a.isnan()
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(nan, b.isnan()) and \
        torch.equal(a.masked_fill(nan, 0).contiguous().view(bits),
                    b.masked_fill(nan, 0).contiguous().view(bits))


@needs_cc
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [
    (32, 64, 10, 10),  # seed-cnn's second stage
    (3, 20, 11, 9),    # odd sizes: the last row and column are read by no window
    (1, 1, 2, 2),
    (5, 17, 7, 12),
])
@pytest.mark.parametrize("flat", [False, True])
def test_the_loop_gives_the_modules_values_and_gradients(dtype, shape, flat):
    x = awkward(shape, dtype)
    want = ACT(POOL(x))
    grad = torch.randn(want.shape).to(dtype)
    want_grad, = torch.autograd.grad(want, x, grad.contiguous(memory_format=torch.channels_last))
    got = pool_relu(x, POOL, ACT, flat)
    assert got.grad_fn.name() == "_PoolReLUBackward"  # the loop ran, not the modules
    # before a Flatten the result is laid out channels first, and its gradient comes back so
    assert got.is_contiguous() if flat else got.is_contiguous(memory_format=torch.channels_last)
    got_grad, = torch.autograd.grad(got, x, grad if flat else
                                    grad.contiguous(memory_format=torch.channels_last))
    assert same(got, want)
    assert same(got_grad, want_grad)
    assert got_grad.is_contiguous(memory_format=torch.channels_last)


@needs_cc
def test_ties_go_to_the_first_cell_and_dead_windows_pass_no_gradient():
    x = torch.tensor([[[[2.0, 2.0, -1.0, -3.0],
                        [2.0, 1.0, -2.0, -1.0]]]]).contiguous(
        memory_format=torch.channels_last).requires_grad_()
    out = pool_relu(x, POOL, ACT)
    assert out.flatten().tolist() == [2.0, 0.0]
    out.backward(torch.tensor([[[[5.0, 7.0]]]]))
    assert x.grad.flatten().tolist() == [5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


@needs_cc
def test_several_threads_give_what_one_gives():
    x = awkward((64, 32, 12, 12), torch.float32, seed=1)
    grad = torch.randn(64, 32, 6, 6)
    results = []
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            out = pool_relu(x, POOL, ACT, True)
            results.append((out, *torch.autograd.grad(out, x, grad)))
    finally:
        torch.set_num_threads(before)
    assert all(same(a, b) for a, b in zip(*results, strict=True))


@needs_cc
def test_other_inputs_run_the_modules():
    cases = [
        torch.randn(2, 8, 6, 6),                     # channels first: the loop reads channels last
        torch.randn(2, 8, 6, 6, dtype=torch.float64).contiguous(memory_format=torch.channels_last),
        torch.randn(0, 8, 6, 6).contiguous(memory_format=torch.channels_last),  # empty batch
    ]
    for x in cases:
        x.requires_grad_()
        out = pool_relu(x, POOL, ACT)
        assert out.grad_fn is None or out.grad_fn.name() != "_PoolReLUBackward", x.shape
        assert torch.equal(out, ACT(POOL(x)))
    watched = nn.ReLU()
    seen = []
    watched.register_forward_hook(lambda m, i, o: seen.append(o.shape))  # diagnostics watch so
    x = torch.randn(2, 8, 6, 6).contiguous(memory_format=torch.channels_last)
    pool_relu(x, POOL, watched)
    assert seen == [torch.Size([2, 8, 3, 3])]


def cnn():
    torch.manual_seed(0)
    return fx.symbolic_trace(nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),     # the first stage: its own loop
        nn.Conv2d(16, 16, 3), nn.ReLU(), nn.MaxPool2d(2),    # this pooling and ReLU: this loop
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10)))


@needs_cc
@pytest.mark.parametrize("autocast", [False, True])
def test_a_cnn_trains_the_same_with_the_loop_or_the_modules(autocast, monkeypatch):
    precision = "bf16-mixed" if autocast else "fp32"
    with_loop = cnn().to(memory_format=torch.channels_last)
    with_modules = copy.deepcopy(with_loop)
    rewrite_for_speed(with_loop, precision)
    calls = [n for n in with_loop.graph.nodes if n.target is pool_relu]
    # a Flatten reads it; under bf16 autocast it feeds a float32 head (narrow_linear.py), to
    # which the loop hands float32 itself (the head's two casts fewer)
    assert len(calls) == 1 and calls[0].kwargs == ({"flat": True, "widen": True} if autocast
                                                   else {"flat": True})
    monkeypatch.setattr(rewrite, "fuse_pool_relu", lambda gm: 0)
    rewrite_for_speed(with_modules, precision)  # every other rewrite, the first stage's too
    assert not [n for n in with_modules.graph.nodes if n.target is pool_relu]
    x = torch.randn(6, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    results = []
    for model in (with_loop, with_modules):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model(x)
        results.append((out, *torch.autograd.grad(out.float().square().sum(),
                                                  list(model.parameters()))))
    assert all(same(a, b) for a, b in zip(*results, strict=True))


@pytest.mark.parametrize("pool, act", [
    (nn.MaxPool2d(3), nn.ReLU()),
    (nn.MaxPool2d(2, stride=1), nn.ReLU()),
    (nn.MaxPool2d(2, ceil_mode=True), nn.ReLU()),
    (nn.MaxPool2d(2, padding=1), nn.ReLU()),
    (nn.AvgPool2d(2), nn.ReLU()),
    (nn.MaxPool2d(2), nn.ReLU6()),
    (nn.MaxPool2d(2), nn.LeakyReLU()),
])
def test_other_layers_are_not_routed(pool, act):
    model = fx.symbolic_trace(nn.Sequential(pool, act))
    assert fuse_pool_relu(model) == 0


def test_a_pooling_read_elsewhere_or_called_twice_is_not_routed():
    class TwoReaders(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool, self.act = nn.MaxPool2d(2), nn.ReLU()

        def forward(self, x):
            p = self.pool(x)
            return self.act(p) + p

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool, self.act = nn.MaxPool2d(2), nn.ReLU()

        def forward(self, x):
            return self.act(self.pool(x)) + self.pool(x)

    for module in (TwoReaders(), Twice()):
        assert fuse_pool_relu(fx.symbolic_trace(module)) == 0


@needs_cc
def test_switched_off_the_modules_stay(monkeypatch):
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    model = fx.symbolic_trace(nn.Sequential(nn.MaxPool2d(2), nn.ReLU()))
    assert fuse_pool_relu(model) == 0
    assert [n.op for n in model.graph.nodes].count("call_module") == 2


@needs_cc
def test_a_map_widened_for_a_float32_head_gives_the_casts_numbers():
    # under bf16 autocast, before a Flatten and a float32 head: the loop hands on float32 and
    # rounds the float32 gradient back to bfloat16 itself, as the head's two casts would
    x = awkward((8, 16, 10, 10), torch.bfloat16)
    grad = torch.randn(8, 16, 5, 5) * 1e-3  # float32 values that bfloat16 must round
    grad.view(-1)[3] = float("nan")
    want = ACT(POOL(x)).float().contiguous()
    want_grad, = torch.autograd.grad(want, x, grad)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = pool_relu(x, POOL, ACT, True, True)
    assert got.dtype == torch.float32 and got.grad_fn.name() == "_PoolReLUBackward"
    got_grad, = torch.autograd.grad(got, x, grad)
    assert same(got, want) and same(got_grad, want_grad)
    # outside autocast (evaluation in float32 code, say) it hands on bfloat16 as the modules do
    plain = pool_relu(x, POOL, ACT, True, True)
    assert plain.dtype == torch.bfloat16 and same(plain, ACT(POOL(x)))
