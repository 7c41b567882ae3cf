"""A run's one-line label (Results' and Export's picker) says its score is the best one: a run
stopped at val_loss 0.4 read "stopped · val_loss 0.1003", a value its last curve point
disagreed with."""

from __future__ import annotations

from types import SimpleNamespace

from layerloom.ui.pages.common import run_label


def test_the_score_in_a_runs_label_is_named_its_best():
    run = SimpleNamespace(dataset={"source": "iris"}, status="stopped",
                          best_metric=0.10031, best_metric_name="val_loss")
    assert run_label(run, "mlp #2") == "mlp #2 · iris · stopped · best validation loss 0.1003"


def test_a_run_without_a_score_has_none():
    run = SimpleNamespace(dataset={"source": "iris"}, status="running", best_metric=None,
                          best_metric_name=None)
    assert run_label(run, "mlp #3") == "mlp #3 · iris · running"
