"""``num_threads=0`` asks for every core, as 0 means in other tools' thread settings; it was
refused ('num_threads must be ≥ 1, got 0'). Empty keeps torch's own choice, a negative count is
refused with what 0 means, and the setting's help says both."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime import device
from layerloom.runtime.config import ConfigError, TrainConfig, describe_fields


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_zero_threads_is_every_core(threads, monkeypatch):
    monkeypatch.setattr(device, "_ALL_CORES", [3])
    torch.set_num_threads(1)  # as the app's warm worker leaves it before a run
    device.configure_process(TrainConfig(num_threads=0))
    assert torch.get_num_threads() == 3
    device.configure_process(TrainConfig(num_threads=2))
    assert torch.get_num_threads() == 2
    device.configure_process(TrainConfig())  # empty: the count the process has is kept
    assert torch.get_num_threads() == 2


def test_the_warm_worker_records_every_core_before_it_sets_fewer(monkeypatch):
    monkeypatch.setattr(device, "_ALL_CORES", [1])
    device.remember_all_cores(6)
    assert device.all_cores() == 6


def test_zero_is_valid_a_negative_count_is_not():
    assert TrainConfig.from_json(TrainConfig(num_threads=0).to_json()).num_threads == 0
    with pytest.raises(ConfigError, match=r"num_threads must be ≥ 0 \(0 = all cores\), got -1"):
        TrainConfig(num_threads=-1)


def test_the_help_says_what_zero_and_empty_mean():
    help_text = next(f for f in describe_fields() if f["name"] == "num_threads")["help"]
    assert "0 = all cores" in help_text and "empty" in help_text
