"""Measuring a model on a split: the quick numbers each epoch and the full report at the end.

:func:`measure` is what validation runs every epoch (loss and the running metric, one device
sync). :func:`evaluate` is the test report stored with a run: for classification the loss,
accuracy, confusion matrix, per-class precision/recall/F1 and the most confidently wrong samples;
for regression MAE, RMSE and R²; for reconstruction MSE and MAE. The reports themselves
(:func:`classification_report`, :func:`regression_report`) take plain predictions, so they are
checked against scikit-learn directly.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from torch import nn

from .tasks import Task


def predict(module: nn.Module, x: torch.Tensor, batch_size: int = 512,
            autocast=contextlib.nullcontext) -> torch.Tensor:
    """The model's outputs for ``x`` in eval mode, batch by batch, on ``x``'s device."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), autocast():
            outs = [module(x[i:i + batch_size]).float() for i in range(0, len(x), batch_size)]
    finally:
        module.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


def measure(module: nn.Module, x: torch.Tensor, y: torch.Tensor, task: Task,
            batch_size: int = 512, autocast=contextlib.nullcontext) -> dict[str, float]:
    """``{"loss": …, task.metric: …}`` over the whole of ``x``; empty when ``x`` is."""
    if len(x) == 0:
        return {}
    was_training = module.training
    module.eval()
    loss = torch.zeros((), device=x.device)
    metric = torch.zeros((), device=x.device)
    try:
        with torch.no_grad(), autocast():
            for i in range(0, len(x), batch_size):
                xb, yb = x[i:i + batch_size], y[i:i + batch_size]
                out = module(xb).float()
                target = task.target(xb, yb)
                loss += task.per_sample_loss(out, target).sum()
                metric += task.metric_sum(out, target)
    finally:
        module.train(was_training)
    total_loss, total_metric = torch.stack([loss, metric]).tolist()
    return {"loss": total_loss / len(x), task.metric: total_metric / len(x)}


def evaluate(module: nn.Module, x: torch.Tensor, y: torch.Tensor, task: Task,
             classes: list[str] | None = None, batch_size: int = 512, top_wrong: int = 12,
             autocast=contextlib.nullcontext) -> dict:
    """The full report on one split (JSON-ready)."""
    if len(x) == 0:
        return {"task": task.kind, "n": 0}
    out = predict(module, x, batch_size, autocast)
    target = task.target(x, y)
    losses = task.per_sample_loss(out, target).cpu().numpy()
    if task.kind == "classification":
        probs = task.probabilities(out).cpu().numpy()
        report = classification_report(target.cpu().numpy(), probs, classes, top_wrong)
    else:
        values = task.in_units(out).reshape(target.shape)  # the loss's scale aside
        report = regression_report(target.cpu().numpy(), values.cpu().numpy())
        if task.kind == "reconstruction":
            report = {"mse": report["mse"], "mae": report["mae"]}
    return {"task": task.kind, "n": len(x), "loss": float(losses.mean()), **report}


def classification_report(y_true: np.ndarray, probs: np.ndarray, classes: list[str] | None = None,
                          top_wrong: int = 12) -> dict:
    """Accuracy, confusion matrix (rows: true class, columns: predicted), per-class
    precision/recall/F1/support, macro and weighted F1, and the ``top_wrong`` wrong predictions
    made with the highest confidence (index into the split, true, predicted, confidence)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    n_classes = probs.shape[1]
    classes = list(classes) if classes else [str(i) for i in range(n_classes)]
    labels = list(range(n_classes))
    pred = probs.argmax(1)
    confidence = probs[np.arange(len(pred)), pred]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, pred, labels=labels, zero_division=0)
    weights = support / max(1, support.sum())
    wrong = np.flatnonzero(pred != y_true)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:top_wrong]
    return {
        "accuracy": float((pred == y_true).mean()),
        "classes": classes,
        "confusion_matrix": confusion_matrix(y_true, pred, labels=labels).tolist(),
        "per_class": [{"class": c, "precision": float(p), "recall": float(r), "f1": float(f),
                       "support": int(s)}
                      for c, p, r, f, s in zip(classes, precision, recall, f1, support)],
        "macro_f1": float(f1.mean()),
        "weighted_f1": float((f1 * weights).sum()),
        "most_confident_wrong": [{"index": int(i), "true": int(y_true[i]),
                                  "true_class": classes[y_true[i]], "predicted": int(pred[i]),
                                  "predicted_class": classes[pred[i]],
                                  "confidence": float(confidence[i])} for i in worst],
    }


def regression_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MAE, MSE, RMSE and R² (averaged over target columns, as scikit-learn does)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    t = y_true.reshape(len(y_true), -1)
    p = y_pred.reshape(len(y_pred), -1)
    mse = float(mean_squared_error(t, p))
    r2 = float(r2_score(t, p)) if len(t) >= 2 else float("nan")
    return {"mae": float(mean_absolute_error(t, p)), "mse": mse, "rmse": math.sqrt(mse),
            "r2": r2}
