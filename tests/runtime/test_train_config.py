"""TrainConfig: defaults, validation messages naming the field, JSON round trip; schedules."""

from __future__ import annotations

import json

import pytest

from layerloom.runtime.config import ConfigError, TrainConfig, describe_fields
from layerloom.runtime.optim import Schedule


def test_round_trip_through_json_file(tmp_path):
    cfg = TrainConfig(lr=0.01, optimizer="sgd", nesterov=True, schedule="cosine", epochs=3,
                      betas=(0.8, 0.9), grad_clip=1.0, hflip=True)
    cfg.save(tmp_path / "c.json")
    assert TrainConfig.load(tmp_path / "c.json") == cfg
    assert json.loads((tmp_path / "c.json").read_text())["betas"] == [0.8, 0.9]


@pytest.mark.parametrize("changes, message", [
    ({"lr": 0}, r"^lr must be > 0, got 0$"),
    ({"optimizer": "adm"}, r"optimizer must be one of sgd, adam, adamw, rmsprop, got 'adm'"),
    ({"epochs": 2.5}, r"epochs must be a whole number, got 2.5"),
    ({"batch_size": 0}, r"batch_size must be ≥ 1, got 0"),
    ({"betas": (1.0, 0.9)}, r"betas must be two numbers in \[0, 1\)"),
    ({"nesterov": True, "optimizer": "adam"}, r"nesterov needs optimizer 'sgd'"),
    ({"schedule": "onecycle", "warmup_steps": 10}, r"onecycle warms up by itself"),
    ({"task": "classification", "loss": "mse"}, r"loss 'mse' does not suit task"),
    ({"amp": "yes"}, r"amp must be true or false"),
])
def test_invalid_values_name_the_field(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as info:
        TrainConfig(lr=-1, epochs=0, device="tpu")
    assert sorted(p.split()[0] for p in info.value.problems) == ["device", "epochs", "lr"]


def test_unknown_key_suggests_the_field():
    with pytest.raises(ConfigError, match=r"unknown config field 'learning_rate'"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(ConfigError, match=r"did you mean 'schedule'"):
        TrainConfig.from_dict({"schedul": "cosine"})


def test_nested_augmentation_and_whole_floats_accepted():
    cfg = TrainConfig.from_dict({"augmentation": {"hflip": True, "crop_padding": 2},
                                 "epochs": 4.0})
    assert cfg.hflip and cfg.crop_padding == 2 and cfg.epochs == 4
    assert isinstance(cfg.epochs, int)
    assert cfg.augment_config().enabled


def test_fields_are_described_for_forms():
    fields = {f["name"]: f for f in describe_fields()}
    assert fields["optimizer"]["choices"] == ("sgd", "adam", "adamw", "rmsprop")
    assert fields["lr"]["default"] == 1e-3 and fields["lr"]["help"]
    assert all(f["help"] and f["group"] for f in fields.values())


def test_monitor_mode_follows_the_metric():
    assert TrainConfig(monitor="val_accuracy").monitor_mode() == "max"
    assert TrainConfig(monitor="val_loss").monitor_mode() == "min"
    assert TrainConfig(monitor="val_accuracy", mode="min").monitor_mode() == "min"


def lrs(steps_per_epoch=4, **kw):
    cfg = TrainConfig(lr=1.0, **kw)
    sched = Schedule(cfg, steps_per_epoch)
    return [round(sched.lr_at(s), 4) for s in range(sched.total)]


def test_schedules_shapes():
    assert lrs(epochs=2) == [1.0] * 8
    assert lrs(epochs=3, schedule="step", step_size=1, gamma=0.5) == \
        [1.0] * 4 + [0.5] * 4 + [0.25] * 4
    warm = lrs(epochs=2, schedule="cosine", warmup_steps=4)
    assert warm[:4] == [0.25, 0.5, 0.75, 1.0] and warm[4] == 1.0
    assert all(a > b for a, b in zip(warm[4:], warm[5:])) and warm[-1] > 0
    cycle = lrs(epochs=2, schedule="onecycle", div_factor=10)
    peak = cycle.index(max(cycle))
    assert cycle[0] == pytest.approx(0.1, abs=0.02) and 0 < peak < 7 and cycle[-1] == 0.0  # lr / (10 · 1e4), rounded
    assert lrs(epochs=1, schedule="constant", warmup_epochs=0.5) == [0.5, 1.0, 1.0, 1.0]


def test_plateau_cuts_the_rate_after_patience():
    sched = Schedule(TrainConfig(lr=1.0, schedule="plateau", plateau_patience=1,
                                 plateau_factor=0.5), 10)
    cuts = [sched.end_epoch(v, "min") for v in (1.0, 0.9, 0.95, 0.95, 0.95, 0.95)]
    assert cuts == [False, False, False, True, False, True]
    assert sched.lr_at(0) == 0.25
    state = sched.state_dict()
    again = Schedule(sched.config, 10)
    again.load_state_dict(state)
    assert again.lr_at(0) == 0.25 and again.best == 0.9


def test_channels_last_auto_only_for_2d_convolutions():
    import torch
    from torch import nn

    from layerloom.runtime.trainer import use_channels_last

    conv, mlp = nn.Sequential(nn.Conv2d(1, 4, 3)), nn.Sequential(nn.Linear(4, 2))
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    auto = TrainConfig()
    assert auto.channels_last == "auto"
    assert use_channels_last(auto, cpu, conv, (1, 28, 28))
    assert not use_channels_last(auto, cpu, mlp, (1, 28, 28))
    assert not use_channels_last(auto, cpu, conv, (28, 28))
    assert not use_channels_last(auto, cuda, conv, (1, 28, 28))  # fp32 on a GPU: left alone
    assert use_channels_last(TrainConfig(amp=True), cuda, conv, (1, 28, 28))
    assert not use_channels_last(TrainConfig(channels_last=False), cpu, conv, (1, 28, 28))
    assert TrainConfig.from_dict({"channels_last": True}).channels_last == "on"
