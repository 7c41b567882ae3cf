"""Run names say what differs between runs in words a newcomer reads ("learning rate 0.01",
"batch size 32", "adam optimiser", "weight decay 0.0001", "label smoothing 0.1"), never the
config's keys ("lr 0.01", "batch 32", "wd 0.0001", "label_smoothing 0.1"). Names are worked out
from the runs as stored, so runs recorded before read the same way."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from layerloom.runtime import display_names


def _runs(*configs: dict) -> list:
    return [SimpleNamespace(id=i, name="seed-cnn", config=config, variables={},
                            dataset={"source": "mnist-5k"}, graph={}, created=0.0)
            for i, config in enumerate(configs, start=1)]


@pytest.mark.parametrize("key, values, said", [
    ("lr", (0.001, 0.01), ("learning rate 0.001", "learning rate 0.01")),
    ("batch_size", (32, 128), ("batch size 32", "batch size 128")),
    ("optimizer", ("adam", "sgd"), ("adam optimiser", "sgd optimiser")),
    ("weight_decay", (0.0, 1e-4), ("weight decay 0", "weight decay 0.0001")),
    ("label_smoothing", (0.0, 0.1), ("label smoothing 0", "label smoothing 0.1")),
    ("early_stopping", (False, True), ("early stopping off", "early stopping on")),
])
def test_what_differs_reads_in_words(key, values, said):
    names = display_names(_runs(*({key: v} for v in values)))
    assert names == {1: f"seed-cnn #1 · {said[0]}", 2: f"seed-cnn #2 · {said[1]}"}


def test_runs_differing_in_three_settings_read_apart_without_a_key():
    names = display_names(_runs({"lr": 0.01, "batch_size": 32, "optimizer": "sgd"},
                                {"lr": 0.01, "batch_size": 64, "optimizer": "sgd"},
                                {"lr": 0.1, "batch_size": 64, "optimizer": "adam"}))
    assert names == {1: "seed-cnn #1 · learning rate 0.01 · batch size 32",
                     2: "seed-cnn #2 · learning rate 0.01 · batch size 64",
                     3: "seed-cnn #3 · learning rate 0.1 · batch size 64"}
    assert len(set(names.values())) == 3
    assert not any("_" in name or " lr " in name for name in names.values())
