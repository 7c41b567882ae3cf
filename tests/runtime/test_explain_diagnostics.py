"""Live layer diagnostics: recorded while training at no change to the result, and said in words
naming the block when something is wrong."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime import RunStore, TrainConfig, load_dataset, prepare_model, train
from layerloom.runtime.device import seed_everything
from layerloom.runtime.errors import NonFiniteLoss
from layerloom.runtime.diagnostics import diagnose, history, kinds_from_graph, mean_std
from layerloom.runtime.trainer import Trainer

CNN = {
    "format": "layerloom-graph", "version": 1, "name": "digits-cnn",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3,
                                                     "padding": 1}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "flat", "type": "Flatten"},
        {"id": "hidden", "type": "Linear", "params": {"out_features": 32}},
        {"id": "act", "type": "ReLU"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [
        ("image", "conv1"), ("conv1", "relu1"), ("relu1", "flat"), ("flat", "hidden"),
        ("hidden", "act"), ("act", "fc"), ("fc", "out")]],
}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def messages_of(graph, ds, config, prepare=None):
    """Train one run in this process; the messages it said and its Trainer."""
    said = []
    seed_everything(config.seed)
    prepared = prepare_model(graph, ds, config)
    if prepare:
        prepare(prepared.module)
    trainer = Trainer(prepared, ds, config, sink=lambda e: said.append(e.message)
                      if e.kind == "message" else None)
    try:
        trainer.fit()
    except NonFiniteLoss:  # an absurd rate ends the run: what was said before still counts
        said.append("(failed: non-finite loss)")
    return said, trainer


def test_absurd_learning_rate_is_said_in_the_first_epoch_naming_a_block(digits):
    config = TrainConfig(optimizer="sgd", lr=50.0, momentum=0.0, epochs=1, batch_size=32)
    said, _ = messages_of(CNN, digits, config)
    too_high = [m for m in said if "learning rate is too high" in m]
    assert too_high, said
    assert too_high[0].split(":")[0] in ("conv1", "hidden", "fc")
    assert "10× lower" in too_high[0]


def test_relu_after_a_negative_bias_is_dead(digits):
    def negative_bias(module):
        with torch.no_grad():
            module.hidden.bias.fill_(-50.0)

    config = TrainConfig(epochs=1, batch_size=32, lr=1e-3)
    said, _ = messages_of(CNN, digits, config, prepare=negative_bias)
    dead = [m for m in said if "dead" in m]
    assert dead and dead[0].startswith("act: 100% of its outputs are zero"), said


def test_a_healthy_run_says_nothing_wrong(digits):
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-3)
    said, _ = messages_of(CNN, digits, config)
    assert not [m for m in said if "too high" in m or "dead" in m or "exploding" in m], said


def test_watching_changes_nothing(digits):
    """Hooks only on watched steps, and they read; the weights end bit-for-bit the same."""
    weights = []
    for every in (0, 3):
        config = TrainConfig(epochs=1, batch_size=64, diagnose_every=every, seed=1)
        _, trainer = messages_of(CNN, digits, config)
        weights.append({k: v.clone() for k, v in trainer.net.state_dict().items()})
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_diagnostics_are_recorded_and_read_back(tmp_path, digits):
    store = RunStore(tmp_path / "runs.db")
    result = train(CNN, digits, store=store, epochs=2, batch_size=64, diagnose_every=5)
    hist = history(store, result.run_id)
    # 1257 samples / 64 = 20 steps an epoch, steps 0…39: watched at step 1 and every 5 steps
    assert hist.steps == [1, 5, 10, 15, 20, 25, 30, 35]
    assert hist.blocks[:3] == ["conv1", "relu1", "flat"]
    conv1 = hist.blocks.index("conv1")
    assert all(v is not None and v > 0 for v in hist.values["grad_norm"][conv1])
    assert all(v is None for v in hist.values["grad_norm"][hist.blocks.index("relu1")])
    zeros = hist.values["zeros"][hist.blocks.index("relu1")]
    assert all(0.0 <= z <= 1.0 for z in zeros)
    latest = hist.latest()
    assert set(latest["fc"]) == {"act_mean", "act_std", "zeros", "grad_norm", "update_ratio"}
    kinds = kinds_from_graph(CNN, hist.blocks)
    assert kinds["act"] == "ReLU" and kinds["hidden"] == "Linear"
    assert hist.findings(kinds) == []


def test_diagnose_rules():
    kinds = {"a": "ReLU", "b": "Linear", "c": "Linear", "d": "Linear"}
    found = diagnose({"a": {"zeros": 0.95}, "b": {"grad_norm": 1e-9, "update_ratio": 0.02},
                      "c": {"grad_norm": 5e3, "update_ratio": 0.03},
                      "d": {"update_ratio": 0.05}}, kinds)
    assert [(f.kind, f.block) for f in found] == [
        ("lr_too_high", "d"), ("vanishing_gradient", "b"), ("exploding_gradient", "c"),
        ("dead_relu", "a")]
    # at the very start only a step larger than the weights counts
    assert diagnose({"b": {"update_ratio": 0.05}}, kinds, early=True) == []
    assert [f.kind for f in diagnose({"b": {"update_ratio": 3.0}}, kinds, early=True)] == [
        "lr_too_high"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_activation_mean_and_spread_match_torch_in_float64_and_leave_the_tensor_alone(dtype):
    gen = torch.Generator().manual_seed(0)
    # a channels-last map far from zero (a sum of squares would lose the spread) and its
    # first samples, as the probe reads them
    x = (torch.randn(16, 32, 26, 26, generator=gen) * 3 + 500).to(dtype)
    x = x.contiguous(memory_format=torch.channels_last)[:8]
    before = x.clone()
    mean, std = mean_std(x)
    std64, mean64 = torch.std_mean(x.double())
    assert mean.dtype == std.dtype == torch.float32
    assert mean.item() == pytest.approx(mean64.item(), rel=1e-6)
    assert std.item() == pytest.approx(std64.item(), rel=1e-4)
    assert torch.equal(x, before)
