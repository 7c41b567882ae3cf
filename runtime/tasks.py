"""What a run learns: the task, its loss per sample and its running metric.

A :class:`Task` knows what the model's output means (``head``) so that a model ending in
``Softmax`` is never given a second softmax by the loss: logits go to cross-entropy,
log-probabilities to NLL, probabilities to NLL of their logarithm.

>>> task = Task("classification", "cross_entropy", num_classes=3)
>>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
>>> task.per_sample_loss(logits, torch.tensor([0, 1])).round(decimals=3)
tensor([0.2400, 3.0950])
>>> Task("classification", "cross_entropy", "probs", 3).per_sample_loss(
...     logits.softmax(1), torch.tensor([0, 1])).round(decimals=3)
tensor([0.2400, 3.0950])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .config import TASK_METRIC as METRIC

HEADS = ("logits", "log_probs", "probs", "values")
DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse", "reconstruction": "mse"}


@dataclass(frozen=True)
class Task:
    kind: str  # "classification" | "regression" | "reconstruction"
    loss: str  # "cross_entropy" | "mse" | "l1" | "huber"
    head: str = "logits"  # what a classifier's output holds; "values" for the others
    num_classes: int | None = None
    label_smoothing: float = 0.0
    huber_delta: float = 1.0
    # a regression target learned standardised (target_scale.py): the loss compares the output
    # with (y - mean) / std, and the metric reads the output back in y's units
    target_mean: tuple | None = None
    target_std: tuple | None = None
    _stats: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def metric(self) -> str:
        """The running metric besides the loss: accuracy for classes, MAE for numbers."""
        return METRIC[self.kind]

    def target(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the output is compared with: the labels, or the input itself."""
        return x if self.kind == "reconstruction" else y

    def per_sample_loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of each sample, (B,); summed and scaled by the trainer so that a global
        batch split over several processes averages exactly as one batch would."""
        if self.kind == "classification":
            return self._classification_loss(out, target)
        out = out.reshape(target.shape)  # (B, D) against (B, D); (B,) outputs for 1 target
        if self.target_mean is not None:
            mean, std = self._scale(target)
            target = (target - mean) / std
        if self.loss == "l1":
            loss = F.l1_loss(out, target, reduction="none")
        elif self.loss == "huber":
            loss = F.huber_loss(out, target, reduction="none", delta=self.huber_delta)
        else:
            loss = F.mse_loss(out, target, reduction="none")
        return loss.flatten(1).mean(1)

    def _classification_loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.head == "logits":
            return F.cross_entropy(out, y, reduction="none", label_smoothing=self.label_smoothing)
        log_probs = out if self.head == "log_probs" else out.clamp_min(1e-12).log()
        nll = -log_probs.gather(1, y[:, None]).squeeze(1)
        if not self.label_smoothing:
            return nll
        # the same mixture F.cross_entropy uses: (1 - ε)·NLL + ε·mean over classes of −log p
        return (1 - self.label_smoothing) * nll - self.label_smoothing * log_probs.mean(1)

    def metric_sum(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The batch's metric summed over samples (a device tensor; nothing is synchronised):
        correct predictions for classification, per-sample mean absolute error otherwise."""
        if self.kind == "classification":
            return (out.argmax(1) == target).sum()
        return (self.in_units(out).reshape(target.shape) - target).abs().flatten(1).mean(1).sum()

    def in_units(self, out: torch.Tensor) -> torch.Tensor:
        """A regression output in the target's units: as it is, unless the target is learned
        standardised (then ``out · std + mean``)."""
        if self.target_mean is None:
            return out
        mean, std = self._scale(out)
        return out.reshape(len(out), -1) * std + mean

    def _scale(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The standardisation as tensors on ``like``'s device, made once per device."""
        key = (like.device, like.dtype)
        if key not in self._stats:
            self._stats[key] = (torch.tensor(self.target_mean, dtype=like.dtype,
                                             device=like.device),
                                torch.tensor(self.target_std, dtype=like.dtype,
                                             device=like.device))
        return self._stats[key]

    def probabilities(self, out: torch.Tensor) -> torch.Tensor:
        """Class probabilities from a classifier's output, whatever its head."""
        if self.head == "logits":
            return out.softmax(1)
        if self.head == "log_probs":
            return out.exp()
        return out
