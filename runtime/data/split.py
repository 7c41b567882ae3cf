"""Seeded train/validation/test splits, stratified by class where every class allows it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .errors import DataError


@dataclass(frozen=True)
class SplitSpec:
    """How to split: the seed, and the fractions of all samples kept for validation and test."""

    seed: int = 0
    val_fraction: float = 0.1
    test_fraction: float = 0.2

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise DataError(f"seed must be a whole number ≥ 0, got {self.seed!r}")
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise DataError(f"{name} must be a number in [0, 1), got {value!r}")
        if self.val_fraction + self.test_fraction >= 1:
            raise DataError(f"val_fraction + test_fraction must be below 1 to leave samples for "
                            f"training, got {self.val_fraction} + {self.test_fraction}")


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    stratified: bool

    @property
    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.train, self.val, self.test


def split_indices(n: int, spec: SplitSpec, labels: np.ndarray | None = None,
                  where: str = "dataset", test_from: int | None = None) -> Split:
    """Shuffled index arrays of the three splits; ``labels`` (class indices) to stratify.

    Stratification needs at least two samples of every class and room for each class in every
    split; where that fails (tiny or very unbalanced data) the split is a plain shuffle.

    ``test_from``: the samples from this index on are the file's own test split (Keras'
    ``x_test``), kept whole as the test set; ``val_fraction`` of the samples before it are
    validation, the rest training (``test_fraction`` does not apply).

    >>> s = split_indices(10, SplitSpec(seed=0, val_fraction=0.2, test_fraction=0.2))
    >>> [len(part) for part in s.parts], sorted(np.concatenate(s.parts).tolist()) == list(range(10))
    ([6, 2, 2], True)
    >>> s = split_indices(10, SplitSpec(seed=0, val_fraction=0.2), test_from=6)
    >>> [len(part) for part in s.parts], s.test.tolist()
    ([4, 2, 4], [6, 7, 8, 9])
    """
    if test_from is not None:
        n_val = math.ceil(test_from * spec.val_fraction)
        if test_from - n_val < 1:
            raise DataError(f"{where}: {test_from} training samples are too few to keep {n_val} "
                            f"for validation; add samples or lower val_fraction")
        train, val, stratified = _take(np.arange(test_from), n_val, labels, spec.seed)
        return Split(train, val, np.arange(test_from, n),
                     stratified=labels is not None and stratified)
    n_test = math.ceil(n * spec.test_fraction)
    n_val = math.ceil(n * spec.val_fraction)
    if n - n_test - n_val < 1:
        raise DataError(f"{where}: {n} samples are too few to keep {n_val} for validation and "
                        f"{n_test} for test; add samples or lower val_fraction/test_fraction")
    rest, test, stratified_test = _take(np.arange(n), n_test, labels, spec.seed)
    train, val, stratified_val = _take(rest, n_val, labels, spec.seed)
    return Split(train, val, test, stratified=labels is not None and stratified_test
                 and stratified_val)


def _take(index: np.ndarray, size: int, labels: np.ndarray | None,
          seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Split ``size`` samples off ``index``; returns (rest, taken, whether it was stratified)."""
    if size == 0:
        rng = np.random.default_rng(seed)
        return rng.permutation(index), index[:0], True
    stratify = labels[index] if labels is not None else None
    if stratify is not None and not _can_stratify(stratify, size):
        stratify = None
    rest, taken = train_test_split(index, test_size=size, random_state=seed, stratify=stratify)
    return rest, taken, stratify is not None


def _can_stratify(labels: np.ndarray, size: int) -> bool:
    counts = np.unique(labels, return_counts=True)[1]
    return counts.min() >= 2 and size >= len(counts) and len(labels) - size >= len(counts)
