"""The Dataset type: three splits as tensors, with what a model needs to know about them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

SPLITS = ("train", "val", "test")


@dataclass(eq=False)
class Dataset:
    """A loaded dataset, split into train, validation and test tensors.

    ``x_*`` is float32 (features, signals, images) or int64 (token ids) with ``input_shape``
    after the batch dimension. ``y_*`` is int64 class indices into ``classes`` for
    classification, float32 ``[N, target_dim]`` for regression. ``normalization`` is what was
    fitted on the training split (see :func:`layerloom.runtime.data.normalize.fit`); ``None``
    when the values are used as they come. ``meta["notes"]``, when there, says in words how
    the file was read where it took a form its loader converted (a transposed array).
    """

    name: str
    task: str  # "classification" | "regression"
    input_shape: tuple[int, ...]
    dtype: str  # "float32" | "int64" (token ids)
    classes: list[str] | None
    target_dim: int | None
    x_train: torch.Tensor = field(repr=False)
    y_train: torch.Tensor = field(repr=False)
    x_val: torch.Tensor = field(repr=False)
    y_val: torch.Tensor = field(repr=False)
    x_test: torch.Tensor = field(repr=False)
    y_test: torch.Tensor = field(repr=False)
    vocab: list[str] | None = field(default=None, repr=False)
    normalization: dict | None = field(default=None, repr=False)
    source: str = ""
    meta: dict = field(default_factory=dict, repr=False)

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` of the split called ``name`` ("train", "val" or "test")."""
        if name not in SPLITS:
            raise KeyError(f"no split {name!r}; the splits are {', '.join(SPLITS)}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Samples per class in each split; empty dicts for regression.

        ``{"train": {"setosa": 35, ...}, "val": {...}, "test": {...}}``
        """
        if self.classes is None:
            return {name: {} for name in SPLITS}
        counts = {}
        for name in SPLITS:
            per_class = torch.bincount(self.split(name)[1], minlength=len(self.classes))
            counts[name] = dict(zip(self.classes, per_class.tolist(), strict=True))
        return counts

    def describe(self) -> dict:
        """A JSON-ready summary for the UI, the CLI and the runs database."""
        counts = self.class_counts()
        splits = {}
        for name in SPLITS:
            x, y = self.split(name)
            splits[name] = {"size": len(x), "x_shape": list(x.shape), "y_shape": list(y.shape)}
            if self.classes is not None:
                splits[name]["class_counts"] = counts[name]
        return {
            "name": self.name, "source": self.source, "task": self.task,
            "input_shape": list(self.input_shape), "dtype": self.dtype,
            "classes": self.classes, "target_dim": self.target_dim,
            "vocab_size": len(self.vocab) if self.vocab is not None else None,
            "normalization": self.normalization["kind"] if self.normalization else None,
            "splits": splits, "notes": list(self.meta.get("notes", [])),
        }

    def preview(self, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``n`` training samples with the normalisation undone, for showing.

        Images come back in [0, 1], tabular rows in the units of the file, token ids as they are.
        """
        x, y = self.x_train[:n], self.y_train[:n]
        norm = self.normalization
        if norm is None:
            return x.clone(), y.clone()
        mean = torch.tensor(norm["mean"], dtype=torch.float32)
        std = torch.tensor(norm["std"], dtype=torch.float32)
        if norm["kind"] == "channel":  # per channel: broadcast over (C, *spatial)
            shape = (1, -1) + (1,) * (x.dim() - 2)
            mean, std = mean.view(shape), std.view(shape)
        return x * std + mean, y.clone()


def tensors(x: np.ndarray, y: np.ndarray, parts: tuple[np.ndarray, ...]) -> dict:
    """The six split tensors from whole arrays and the index arrays of train, val and test."""
    out = {}
    for name, index in zip(SPLITS, parts, strict=True):
        out[f"x_{name}"] = torch.from_numpy(np.ascontiguousarray(x[index]))
        out[f"y_{name}"] = torch.from_numpy(np.ascontiguousarray(y[index]))
    return out
