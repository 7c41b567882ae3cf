"""Rows and columns no window reads are cropped off the data first (runtime/unread_edges.py):
each layer computes less, and the model's outputs and gradients stay those of the graph."""

from __future__ import annotations

import copy
import random
from importlib import resources

import pytest
import torch
from torch import fx, nn
from torch.utils._python_dispatch import TorchDispatchMode

from layerloom.graph import load_graph
from layerloom.graph.compile import compile_graph
from layerloom.runtime import TrainConfig, train
from layerloom.runtime.diagnostics import LayerProbe
from layerloom.runtime.rewrite import rewrite_for_speed, routed_calls
from layerloom.runtime.unread_edges import crop_to_read, crop_unread_edges

from .conftest import noise_images


class ConvInputs(TorchDispatchMode):
    """The shapes of every convolution's input, as the kernels see them (no hooks: a hook
    would itself stop the crop)."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten.convolution.default:
            self.shapes.append(tuple(args[0].shape))
        return func(*args, **(kwargs or {}))


SEED_CNN = str(resources.files("layerloom.assets") / "templates" / "seed-cnn.json")


def seed_cnn() -> fx.GraphModule:
    torch.manual_seed(0)
    return compile_graph(load_graph(SEED_CNN))


def outputs_and_grads(model, x, grad):
    out = model(x)
    return out, torch.autograd.grad(out, list(model.parameters()), grad)


def close(a, b, rtol=2e-6):
    """Equal up to float rounding: a kernel may add its sums in another order on a smaller map."""
    return (a - b).abs().max().item() <= rtol * max(b.abs().max().item(), 1.0)


def cropped(model) -> bool:
    return any(n.target is crop_to_read for n in model.graph.nodes)


@pytest.fixture
def no_c_loop(monkeypatch):
    """The first stage as modules, so the convolutions' inputs can be seen."""
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")


def test_seed_cnn_computes_only_what_its_second_pooling_reads(no_c_loop):
    plain = seed_cnn()
    model = copy.deepcopy(plain)
    assert crop_unread_edges(model) == 1 and cropped(model)
    x = torch.randn(8, 1, 28, 28)
    for m, conv_inputs in ((plain, [(8, 1, 28, 28), (8, 32, 13, 13)]),
                           (model, [(8, 1, 26, 26), (8, 32, 12, 12)])):
        with ConvInputs() as seen:
            m(x)
        assert seen.shapes == conv_inputs
    out0, grads0 = outputs_and_grads(plain, x, grad := torch.randn(8, 10))
    out, grads = outputs_and_grads(model, x, grad)
    assert out.shape == (8, 10) and close(out, out0)
    for g, g0 in zip(grads, grads0, strict=True):
        assert g.shape == g0.shape and close(g, g0)


def test_the_whole_rewrite_keeps_seed_cnn_s_outputs_and_gradients():
    plain = seed_cnn()
    model = copy.deepcopy(plain)
    rewrite_for_speed(model)
    assert cropped(model) and routed_calls(model) >= 1  # the inference model is compiled again
    for channels_last in (False, True):
        a, b = (m.to(memory_format=torch.channels_last) if channels_last else m
                for m in (copy.deepcopy(plain), copy.deepcopy(model)))
        x = torch.randn(16, 1, 28, 28)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        out0, grads0 = outputs_and_grads(a, x, grad := torch.randn(16, 10))
        out, grads = outputs_and_grads(b, x, grad)
        assert close(out, out0)
        assert all(close(g, g0) for g, g0 in zip(grads, grads0, strict=True))


def _random_chain(rng: random.Random, dims: int):
    conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
    pools = [(nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[dims - 1],
             (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[dims - 1]]
    layers, channels = [], 2
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.5:
            out = rng.randint(1, 3)
            layers.append(conv(channels, out, rng.randint(1, 3), stride=rng.randint(1, 3),
                               dilation=rng.randint(1, 2)))
            channels = out
        else:
            pool = rng.choice(pools)
            k = rng.randint(1, 3)
            extra = {"dilation": rng.randint(1, 2)} if "Max" in pool.__name__ else {}
            layers.append(pool(k, stride=rng.randint(1, 3), **extra))
        if rng.random() < 0.5:
            layers.append(rng.choice([nn.ReLU(), nn.GELU(), nn.Tanh()]))
    return nn.Sequential(*layers)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_random_chains_give_the_same_outputs_on_every_size(dims):
    """Any chain of strides, kernels and dilations, on any size it fits: the crop keeps every
    output as it was (the arithmetic of _read checked against the layers themselves)."""
    rng = random.Random(dims)
    checked = shrunk = 0
    while checked < 40:
        torch.manual_seed(checked)
        plain = fx.symbolic_trace(_random_chain(rng, dims).double())
        model = copy.deepcopy(plain)
        if not crop_unread_edges(model):
            continue
        size = rng.randint(5, 14) if dims < 3 else rng.randint(5, 9)
        x = torch.randn(2, 2, *[size + d for d in range(dims)], dtype=torch.float64)
        try:
            expected = plain(x)
        except RuntimeError:  # a size the chain does not fit: the crop must not hide that
            with pytest.raises(RuntimeError):
                model(x)
            continue
        crop = model.graph.find_nodes(op="call_function", target=crop_to_read)[0]
        kept = crop_to_read(x, *crop.args[1:2])
        shrunk += kept.shape != x.shape
        assert torch.allclose(model(x), expected, rtol=1e-12, atol=1e-12)
        checked += 1
    assert shrunk >= 5  # the check saw crops, not only chains that read everything


def test_what_breaks_a_chain_or_stops_a_crop():
    def routed(*layers):
        return crop_unread_edges(fx.symbolic_trace(nn.Sequential(*layers)))

    assert routed(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2)) == 1
    assert routed(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2)) == 0  # padding reads the edge
    assert routed(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, ceil_mode=True)) == 0
    assert routed(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, return_indices=True)) == 0
    assert routed(nn.Conv2d(1, 2, 3), nn.Dropout(), nn.MaxPool2d(2)) == 0  # its mask would move
    assert routed(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.MaxPool2d(2)) == 0  # its statistics
    assert routed(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)) == 0  # strides 1: nothing dropped
    assert routed(nn.MaxPool2d(2)) == 0  # one layer: cropping its input saves it nothing

    x = torch.randn(1, 1, 11, 11)
    steps = ((3, 1, 2, 2), (3, 1, 2, 2))
    assert crop_to_read(x, steps).shape[2:] == (10, 10)  # 11 → 9 → 4 reads 8 of 9: 10 of 11
    assert crop_to_read(x.requires_grad_(), steps) is x  # a learned map: the copy costs more
    assert crop_to_read(torch.randn(1, 1, 12, 12), steps).shape[2:] == (12, 12)  # all read
    assert crop_to_read(torch.randn(1, 1, 2, 2), steps).shape[2:] == (2, 2)  # does not fit
    assert crop_to_read(torch.randn(1, 1, 8, 9), ((1, 2, 1, 1), (1, 2, 1, 1))).shape[2:] == (8, 9)


def test_a_branching_map_is_left_whole():
    class TwoUses(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.pool = nn.Conv2d(1, 2, 3), nn.MaxPool2d(2)

        def forward(self, x):
            y = self.conv(x)
            return self.pool(y), y  # the full map is an output too

    assert crop_unread_edges(fx.symbolic_trace(TwoUses())) == 0


def test_watched_layers_see_the_maps_as_drawn(no_c_loop):
    model = seed_cnn()
    rewrite_for_speed(model)
    shapes = []
    model.conv2.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
    model(torch.randn(4, 1, 28, 28))
    assert shapes == [(4, 64, 11, 11)]


def test_layer_diagnostics_see_the_maps_as_drawn_and_the_crop_comes_back_after(no_c_loop):
    model = seed_cnn()
    rewrite_for_speed(model)
    x = torch.randn(4, 1, 28, 28)
    probe = LayerProbe(model)
    probe.start()
    with ConvInputs() as watched:
        model(x).square().sum().backward()
    stats = probe.finish()
    assert {"act_mean", "zeros", "grad_norm"} <= set(stats["conv2"])
    with ConvInputs() as unwatched:
        model(x)
    assert watched.shapes[:2] == [(4, 1, 28, 28), (4, 32, 13, 13)]
    assert unwatched.shapes == [(4, 1, 26, 26), (4, 32, 12, 12)]


def test_seed_cnn_trains_to_the_same_curve_with_and_without_the_crop(monkeypatch):
    config = TrainConfig(epochs=2, batch_size=32, seed=0, num_threads=1)
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    with_crop = train(SEED_CNN, noise_images(96), config)
    monkeypatch.setattr("layerloom.runtime.rewrite.crop_unread_edges", lambda gm: 0)
    without = train(SEED_CNN, noise_images(96), config)
    losses = [e["train_loss"] for e in with_crop.history]
    assert len(losses) == 2
    assert losses == pytest.approx([e["train_loss"] for e in without.history], rel=1e-5)
    assert routed_calls(with_crop.model) == 0  # handed on as drawn: it scripts and exports


@pytest.mark.parametrize("native", ["0", "1"])
def test_a_channels_last_rgb_chain_keeps_its_layout(native, monkeypatch):
    """A cropped channels-last image is a strided view: each layer still hands on the layout it
    would have without the crop, and the same values."""
    monkeypatch.setenv("LAYERLOOM_NATIVE", native)
    torch.manual_seed(0)
    plain = fx.symbolic_trace(nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                                            nn.Conv2d(16, 8, 3), nn.ReLU(), nn.MaxPool2d(2)))
    plain = plain.to(memory_format=torch.channels_last)
    model = copy.deepcopy(plain)
    rewrite_for_speed(model)
    assert cropped(model)
    x = torch.randn(4, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    assert crop_to_read(x, *model.graph.find_nodes(op="call_function",
                                                   target=crop_to_read)[0].args[1:2]).shape[2:] \
        == (30, 30)  # 32 → 30 → 15 → 13 → 6: 12 of 13 read, so 14 of 15, 28 of 30, 30 of 32
    out0, grads0 = outputs_and_grads(plain, x, grad := torch.randn(4, 8, 6, 6))
    out, grads = outputs_and_grads(model, x, grad)
    assert out.is_contiguous(memory_format=torch.channels_last) == \
        out0.is_contiguous(memory_format=torch.channels_last)
    assert close(out, out0)
    assert all(close(g, g0) for g, g0 in zip(grads, grads0, strict=True))
