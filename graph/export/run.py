"""What a trained run adds to an export: plain data, so the graph package needs no runtime.

The runtime fills a :class:`RunInfo` from its runs database (``layerloom.runtime.export``); a
bundle then carries the training config, the test metrics, the loss curves and what predict.py
needs to feed new data exactly as the model was trained (normalisation, vocabulary, classes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import torch


@dataclass
class RunInfo:
    """A finished run, as an export needs it.

    ``config``: the training config as a dict (``TrainConfig.to_dict()``).
    ``metrics``: the test evaluation's headline numbers, ``{"loss": 0.31, "accuracy": 0.91}``.
    ``curves``: ``"split/metric"`` → values per epoch, or ``(x, value)`` pairs:
    ``{"train/loss": [0.9, 0.5], "val/loss": [(1, 0.8), (2, 0.6)]}``.
    ``dataset``: what the model was trained on (``Dataset.describe()`` plus ``normalization``
    (the fitted dict: kind, mean, std, scale), ``vocab`` (token list, for text), ``meta``
    (for tabular data its ``columns``), ``color`` (``"grayscale"``/``"rgb"``) for images).
    """

    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, list] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    state_dict: dict[str, torch.Tensor] | None = None
    run_id: int | str | None = None
    name: str | None = None
    # pictures for the card: [{"png": bytes, "caption": str}] (Grad-CAM over test samples)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def data_name(self) -> str | None:
        """The name of the dataset the run trained on (``mnist-5k``, a file's name, never its
        folder); None when the run recorded none."""
        name = self.dataset.get("name") or self.dataset.get("source")
        return PurePath(str(name)).name if name and name != "unknown" else None

    def curve_points(self, key: str) -> tuple[list[float], list[float]]:
        """``(xs, ys)`` of one curve; bare values are numbered from 1 (epochs)."""
        points = self.curves.get(key) or []
        xs, ys = [], []
        for i, point in enumerate(points, start=1):
            if isinstance(point, (list, tuple)):
                xs.append(float(point[0]))
                ys.append(float(point[1]))
            else:
                xs.append(float(i))
                ys.append(float(point))
        return xs, ys
