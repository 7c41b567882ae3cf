"""From whole arrays to a Dataset: split, fit the normalisation on train, make tensors.

Every loader ends here, so that splitting and normalisation work the same for built-in sets and
users' files.
"""

from __future__ import annotations

import numpy as np

from . import normalize
from .dataset import Dataset, tensors
from .split import Split, SplitSpec, split_indices


def assemble(name: str, source: str, x: np.ndarray, y: np.ndarray, spec: SplitSpec, *,
             classes: list[str] | None = None, norm: str | None = None,
             scale: float | None = None, keep: np.ndarray | None = None,
             tokens: bool = False, split: Split | None = None,
             vocab: list[str] | None = None, meta: dict | None = None,
             owned: bool = False) -> Dataset:
    """The Dataset of ``x`` (all samples) and ``y`` (class indices when ``classes`` is given,
    else regression targets ``[N]`` or ``[N, T]``).

    ``norm`` is "feature", "channel" or None (values kept as they are); ``scale`` divides raw
    values first (255 for 8-bit pixels) and is recorded with the statistics; ``keep`` marks
    features left as they are (one-hot columns). ``split`` is given
    by loaders that fit something else on the training split first (a text vocabulary).
    ``tokens`` marks ``x`` as int64 token ids, which are never normalised. ``owned`` says
    ``x`` is the caller's own, for no one else to read: it is normalised in place.
    """
    if classes is not None:
        y = np.asarray(y, dtype=np.int64)
    else:
        y = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
    if split is None:
        split = split_indices(len(x), spec, y if classes is not None else None, where=name)
    if tokens:
        x = x.astype(np.int64)
    else:
        x = x.astype(np.float32) / np.float32(scale) if scale else \
            x.astype(np.float32, copy=False)  # a table's float32 features: not copied again
    stats = None
    if norm is not None and not tokens:
        stats = normalize.fit(x, norm, scale, keep, rows=split.train)
        x = normalize.apply(x, stats, in_place=owned)
    meta = {**(meta or {}), "seed": spec.seed, "val_fraction": spec.val_fraction,
            "test_fraction": spec.test_fraction, "stratified": split.stratified}
    return Dataset(
        name=name, task="classification" if classes is not None else "regression",
        input_shape=tuple(int(d) for d in x.shape[1:]),
        dtype="int64" if tokens else "float32",
        classes=list(classes) if classes is not None else None,
        target_dim=None if classes is not None else int(y.shape[1]),
        **tensors(x, y, split.parts), vocab=vocab, normalization=stats, source=source,
        meta=meta)
