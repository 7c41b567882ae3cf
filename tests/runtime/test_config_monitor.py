"""The metric to watch (``monitor``) is one of the metrics a run logs: a saved config naming
another is refused when it is read, naming the key it gave and the keys it may give, instead of
reading as valid and failing only once the run has started ('not measured by this run')."""

from __future__ import annotations

import json

import pytest

from layerloom.runtime.config import (MONITORS, TASK_METRIC, ConfigError, TrainConfig,
                                      describe_fields, monitor_choices)
from layerloom.runtime.tasks import Task
from layerloom.runtime.trainer import choose_monitor

CHOICES = ("val_loss, val_accuracy, val_mae, train_loss, train_accuracy, train_mae")


@pytest.mark.parametrize("key", ["val_acc", "accuracy", "loss", "val_f1", ""])
def test_a_saved_config_naming_an_unlogged_metric_is_refused_naming_it_and_the_choices(
        key, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"epochs": 3, "monitor": key}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        TrainConfig.load(path)
    assert info.value.problems == [f"monitor must be one of {CHOICES}, got {key!r}"]


def test_the_form_is_told_the_choices_validation_first():
    monitor = next(f for f in describe_fields() if f["name"] == "monitor")
    assert monitor["choices"] == MONITORS
    assert MONITORS[:3] == ("val_loss", "val_accuracy", "val_mae")


@pytest.mark.parametrize("task, choices", [
    ("classification", ("val_loss", "val_accuracy", "train_loss", "train_accuracy")),
    ("regression", ("val_loss", "val_mae", "train_loss", "train_mae")),
    ("reconstruction", ("val_loss", "val_mae", "train_loss", "train_mae")),
    ("auto", MONITORS), (None, MONITORS),
])
def test_the_choices_of_a_task_are_what_its_run_logs(task, choices):
    assert monitor_choices(task) == choices


@pytest.mark.parametrize("kind", sorted(TASK_METRIC))
def test_each_choice_is_one_a_run_of_that_task_measures(kind):
    """What the form offers is what the trainer watches, so no choice fails a started run."""
    task = Task(kind, "mse" if kind != "classification" else "cross_entropy",
                num_classes=3 if kind == "classification" else None)
    for name in monitor_choices(kind):
        assert choose_monitor(TrainConfig(monitor=name), task, has_val=True) == name
