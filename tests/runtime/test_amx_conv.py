"""Convolutions on AMX tiles (runtime/amx_conv.py) compute what autocast's bfloat16 convolution
computes: the same products of bfloat16-rounded operands, summed in float32."""

from __future__ import annotations

import pytest
import torch
from torch import fx, nn
from torch.nn import functional as F

from layerloom.runtime import amx_conv
from layerloom.runtime.amx_conv import amx_conv as routed, covered, route_amx_convs
from layerloom.runtime.rewrite import rewrite_for_speed, routed_calls

needs_amx = pytest.mark.skipif(amx_conv.kernel() is None,
                               reason="no AMX tiles (or no C compiler) on this machine")
BF16 = dict(device_type="cpu", dtype=torch.bfloat16)


def run(conv: nn.Conv2d, x: torch.Tensor, grad: torch.Tensor, through=routed):
    """Output and gradients of ``through(x, conv)`` under bfloat16 autocast."""
    conv.zero_grad(set_to_none=True)
    x = x.detach().requires_grad_()
    with torch.autocast(**BF16):
        y = through(x, conv)
    y.backward(grad)
    return y, x.grad, conv.weight.grad, conv.bias.grad if conv.bias is not None else None


def exact(conv: nn.Conv2d, x: torch.Tensor, grad: torch.Tensor):
    """The same in float64 from the operands the tiles multiply (bfloat16-rounded)."""
    xr = x.detach().double().requires_grad_()
    w = conv.weight.detach().bfloat16().double().requires_grad_()
    b = conv.bias.detach().double().requires_grad_() if conv.bias is not None else None
    y = F.conv2d(xr, w, b)
    y.backward(grad.double())
    return y, xr.grad, w.grad, b.grad if b is not None else None


def close(got, want, rel):
    """Within ``rel`` of the largest magnitude of ``want`` (a sum's rounding scales with it)."""
    return (got.double() - want).abs().max().item() <= rel * want.abs().max().item()


@needs_amx
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch,cin,cout,h,w,k,bias", [
    (32, 32, 64, 12, 12, (3, 3), True),   # seed-cnn's conv2 after the crop of unread edges
    (5, 64, 96, 9, 13, (3, 5), False),    # two K-chunks, six column blocks, a wide kernel
    (3, 32, 64, 7, 7, (2, 2), True),      # an odd count of row blocks
    (1, 32, 32, 4, 4, (1, 1), True),      # exactly one tile of 16 positions
    (2, 96, 32, 20, 20, (3, 3), True),    # more images' worth of row blocks than threads
])
def test_the_tiles_give_the_convolution_of_the_rounded_operands(threads, batch, cin, cout, h,
                                                                w, k, bias):
    torch.manual_seed(0)
    keep = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        conv = nn.Conv2d(cin, cout, k, bias=bias)
        x = torch.randn(batch, cin, h, w).bfloat16().contiguous(memory_format=torch.channels_last)
        grad = torch.randn(batch, cout, h - k[0] + 1, w - k[1] + 1).bfloat16()
        y, gx, gw, gb = run(conv, x, grad)
    finally:
        torch.set_num_threads(keep)
    assert y.grad_fn.name() == "_ConvAMXBackward"  # the tiles ran, not oneDNN
    want_y, want_gx, want_gw, want_gb = exact(conv, x, grad)
    assert y.dtype == torch.bfloat16 and y.is_contiguous(memory_format=torch.channels_last)
    assert gx.dtype == torch.bfloat16 and gw.dtype == torch.float32
    # outputs and the input's gradient are rounded to bfloat16 once (8 bits of mantissa)
    assert close(y, want_y, 2 ** -8) and close(gx, want_gx, 2 ** -8)
    # the weight's and bias's gradients are float32 sums, not rounded to bfloat16
    assert close(gw, want_gw, 1e-5)
    if bias:
        assert close(gb, want_gb, 1e-6)


@needs_amx
def test_the_tiles_agree_with_autocasts_own_convolution():
    torch.manual_seed(1)
    conv = nn.Conv2d(32, 64, 3)
    x = torch.randn(8, 32, 12, 12).bfloat16().contiguous(memory_format=torch.channels_last)
    grad = torch.randn(8, 64, 10, 10).bfloat16()
    mine = run(conv, x, grad)
    theirs = run(conv, x, grad, through=lambda x, conv: conv(x))
    assert theirs[0].grad_fn.name() != "_ConvAMXBackward"
    for got, want in zip(mine, theirs):
        assert close(got, want.double(), 2 ** -7)  # each rounded to bfloat16 by its own sums


@needs_amx
def test_a_float32_input_is_cast_and_data_needs_no_input_gradient():
    torch.manual_seed(2)
    conv = nn.Conv2d(32, 32, 3)
    x = torch.randn(2, 32, 6, 6)  # float32, channels first, no gradient wanted
    with torch.autocast(**BF16):
        y = routed(x, conv)
    assert y.grad_fn.name() == "_ConvAMXBackward" and y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert x.grad is None and conv.weight.grad is not None
    want = F.conv2d(x.bfloat16().double(), conv.weight.detach().bfloat16().double(),
                    conv.bias.detach().double())
    assert close(y, want, 2 ** -8)


@pytest.mark.parametrize("why", ["no autocast", "hooked", "float16 autocast", "too small"])
def test_the_module_runs_where_the_tiles_do_not_apply(why):
    torch.manual_seed(3)
    conv = nn.Conv2d(32, 32, 3)
    x = torch.randn(2, 32, 8 if why != "too small" else 3, 8 if why != "too small" else 5)
    if why == "hooked":
        conv.register_forward_hook(lambda *a: None)
    if why == "no autocast":
        y = routed(x, conv)
        assert torch.equal(y, conv(x))
    else:
        dtype = torch.float16 if why == "float16 autocast" else torch.bfloat16
        with torch.autocast("cpu", dtype=dtype):
            y = routed(x, conv)
            assert torch.equal(y, conv(x))
    assert y.grad_fn is None or y.grad_fn.name() != "_ConvAMXBackward"


def test_only_convolutions_the_kernel_computes_are_covered():
    assert covered(nn.Conv2d(32, 64, 3))
    assert covered(nn.Conv2d(64, 32, (1, 5), padding="valid", bias=False))
    assert not covered(nn.Conv2d(16, 64, 3))           # channels not a multiple of 32
    assert not covered(nn.Conv2d(32, 48, 3))
    assert not covered(nn.Conv2d(32, 64, 3, padding=1))
    assert not covered(nn.Conv2d(32, 64, 3, stride=2))
    assert not covered(nn.Conv2d(32, 64, 3, dilation=2))
    assert not covered(nn.Conv2d(64, 64, 3, groups=2))
    assert not covered(nn.Conv1d(32, 64, 3))

    class Sub(nn.Conv2d):
        pass

    assert not covered(Sub(32, 64, 3))  # a subclass may compute something else


def seed_like() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 10))


@needs_amx
def test_mixed_precision_routes_the_covered_convolution_and_keeps_the_state_dict():
    torch.manual_seed(4)
    plain = seed_like()
    model = fx.symbolic_trace(seed_like())
    model.load_state_dict(plain.state_dict())
    keys = list(model.state_dict())
    rewrite_for_speed(model, "bf16-mixed")
    targets = [n.target for n in model.graph.nodes if n.op == "call_function"]
    assert targets.count(routed) == 1  # conv "3" (32 -> 64); conv "0" has one input channel
    assert list(model.state_dict()) == keys and routed_calls(model) >= 1
    x = torch.randn(4, 1, 26, 26)
    with torch.autocast(**BF16):
        got, want = model(x), plain(x)
    assert close(got.float(), want.double(), 2 ** -5)

    fp32 = fx.symbolic_trace(seed_like())
    rewrite_for_speed(fp32, "fp32")
    assert routed not in [n.target for n in fp32.graph.nodes if n.op == "call_function"]


def test_without_amx_nothing_is_routed(monkeypatch):
    monkeypatch.setattr(amx_conv, "cpu_has_amx", lambda: False)
    model = fx.symbolic_trace(nn.Sequential(nn.Conv2d(32, 64, 3), nn.ReLU()))
    assert route_amx_convs(model) == 0
    assert [n.op for n in model.graph.nodes].count("call_module") == 2


@needs_amx
def test_seed_cnn_trains_in_bf16_mixed_on_the_tiles():
    from layerloom.graph.templates import load_template
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.data import Dataset
    from layerloom.runtime.model import prepare_model
    from layerloom.runtime.trainer import Trainer

    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (256,), generator=gen)
    # each class a bright square in its own place: learnable in a few steps
    x = torch.randn(256, 1, 28, 28, generator=gen) * 0.1
    for i, label in enumerate(y.tolist()):
        r, c = divmod(label, 5)
        x[i, 0, 4 + 10 * r:10 + 10 * r, 2 + 5 * c:6 + 5 * c] += 2.0
    ds = Dataset(name="squares", task="classification", input_shape=(1, 28, 28),
                 dtype="float32", classes=[str(c) for c in range(10)], target_dim=None,
                 x_train=x, y_train=y, x_val=x[:0], y_val=y[:0], x_test=x[:0], y_test=y[:0])
    cfg = TrainConfig(batch_size=32, epochs=1, num_threads=1, seed=0, diagnose_every=0,
                      precision="bf16-mixed", lr=3e-3)
    prepared = prepare_model(load_template("seed-cnn"), ds, cfg)
    net = prepared.module if hasattr(prepared, "module") else prepared
    trainer = Trainer(prepared, ds, cfg)
    graph_calls = [n.target for sub in trainer.net.modules() if isinstance(sub, fx.GraphModule)
                   for n in sub.graph.nodes if n.op == "call_function"]
    assert routed in graph_calls, net
    losses = []
    for step in range(40):
        rows = torch.arange(step * 32, step * 32 + 32) % 256
        trainer.train_step(x[rows], y[rows], 32)
        with torch.no_grad(), trainer.autocast():
            logits = trainer.model(x[:64])
        losses.append(F.cross_entropy(logits.float(), y[:64]).item())
    assert losses[-1] < 0.5 * losses[0]
