"""Evaluation numbers against scikit-learn on known predictions, and as stored with a run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, mean_absolute_error,
                             mean_squared_error, precision_recall_fscore_support, r2_score)

from layerloom.runtime import classification_report, regression_report, train
from layerloom.runtime.evaluate import evaluate
from layerloom.runtime.tasks import Task


@pytest.fixture
def known():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, size=60)
    probs = rng.dirichlet(np.ones(4), size=60)
    probs[y == 3] = [0.05, 0.05, 0.05, 0.85]  # class 3 always right, with confidence 0.85
    probs[7] = [0.99, 0.004, 0.003, 0.003]  # the most confident mistake
    y[7] = 2
    return y, probs


def test_classification_report_matches_sklearn(known):
    y, probs = known
    pred = probs.argmax(1)
    report = classification_report(y, probs, ["a", "b", "c", "d"])
    assert report["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert report["confusion_matrix"] == confusion_matrix(y, pred, labels=[0, 1, 2, 3]).tolist()
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=[0, 1, 2, 3], zero_division=0)
    per_class = report["per_class"]
    assert [c["class"] for c in per_class] == ["a", "b", "c", "d"]
    np.testing.assert_allclose([c["precision"] for c in per_class], p)
    np.testing.assert_allclose([c["recall"] for c in per_class], r)
    np.testing.assert_allclose([c["f1"] for c in per_class], f)
    assert [c["support"] for c in per_class] == s.tolist()
    assert report["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert report["weighted_f1"] == pytest.approx(f1_score(y, pred, average="weighted"))


def test_most_confidently_wrong_first(known):
    y, probs = known
    wrong = classification_report(y, probs, top_wrong=5)["most_confident_wrong"]
    assert wrong[0] == {"index": 7, "true": 2, "true_class": "2", "predicted": 0,
                        "predicted_class": "0", "confidence": pytest.approx(0.99)}
    confidences = [w["confidence"] for w in wrong]
    assert confidences == sorted(confidences, reverse=True) and len(wrong) == 5
    assert all(w["true"] != w["predicted"] for w in wrong)


def test_regression_report_matches_sklearn():
    rng = np.random.default_rng(2)
    t = rng.normal(size=(50, 2))
    p = t + rng.normal(scale=0.3, size=(50, 2))
    report = regression_report(t, p)
    assert report["mae"] == pytest.approx(mean_absolute_error(t, p))
    assert report["rmse"] == pytest.approx(np.sqrt(mean_squared_error(t, p)))
    assert report["r2"] == pytest.approx(r2_score(t, p))


def test_evaluate_uses_the_task_head():
    logits = torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.0, 0.0]])
    model = torch.nn.Identity()
    y = torch.tensor([0, 0, 0])
    for head, out in (("logits", logits), ("probs", logits.softmax(1)),
                      ("log_probs", logits.log_softmax(1))):
        report = evaluate(model, out, y, Task("classification", "cross_entropy", head, 2))
        assert report["accuracy"] == pytest.approx(2 / 3)
        assert report["loss"] == pytest.approx(
            torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
        assert report["most_confident_wrong"][0]["confidence"] == pytest.approx(
            logits.softmax(1)[1, 1].item(), rel=1e-5)


def test_run_stores_its_evaluation(moons, mlp, store):
    result = train(mlp(), moons, {"epochs": 2, "lr": 0.02, "num_threads": 1}, store=store)
    saved = store.evaluation(result.run_id)
    assert saved["accuracy"] == result.metrics["test_accuracy"]
    assert sum(map(sum, saved["confusion_matrix"])) == len(moons.x_test) == saved["n"]
    test_rows = {m.name: m.value for m in store.metrics(result.run_id, split="test")}
    assert test_rows["accuracy"] == result.metrics["test_accuracy"]
    run = store.get(result.run_id)
    assert run.final_metrics == result.metrics and run.status == "completed"
    assert run.best_metric_name == "val_loss" and run.best_epoch in (1, 2)
