"""NumPy ``.npz`` files holding arrays ``x`` (samples first) and ``y`` (labels or targets).

Loaded with ``allow_pickle=False``: a user's file is never unpickled. An optional ``classes``
array names the classes when ``y`` holds class indices.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from . import target as targets
from .build import assemble
from .dataset import Dataset
from .errors import DataError
from .split import SplitSpec

MAX_NPZ_BYTES = 1024 * 2**20  # uncompressed


def load_npz(path: Path, spec: SplitSpec, *, task: str, dtype: str, normalize: str) -> Dataset:
    """A Dataset of ``x``'s rows. ``dtype="int64"`` reads ``x`` as token ids; ``normalize``
    "auto" standardises floats per feature (``[N, F]``) or per channel (``[N, C, ...]``)."""
    arrays = _read(path)
    x, y = arrays["x"], arrays["y"]
    if x.ndim == 1:
        x = x[:, None]  # one feature per sample
    if len(x) != len(y):
        raise DataError(f"x has {len(x)} samples but y has {len(y)}; they must match",
                        file=path)
    if x.dtype.kind not in "biuf":
        raise DataError(f"x holds {x.dtype} values; it must hold numbers", file=path)
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1) if x.dtype.kind == "f" else None
    if bad is not None and bad.any():
        raise DataError(f"x[{int(np.argmax(bad))}] holds NaN or infinite values", file=path)
    if dtype == "int64" and (x.dtype.kind not in "biu" or (x.size and x.min() < 0)):
        raise DataError("token ids (dtype='int64') must be whole numbers ≥ 0", file=path)
    classes = arrays.get("classes")
    if classes is not None:
        goal = _named_classes(path, y, classes)
    else:
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise DataError("y holds NaN or infinite values", file=path)
        goal = targets.encode(y, task, str(path))
    if normalize == "auto":
        normalize = "feature" if x.ndim == 2 else "channel"
    tokens = dtype == "int64"
    return assemble(path.name, str(path), x, goal.y, spec, classes=goal.classes,
                    norm=None if normalize == "none" or tokens else normalize, tokens=tokens,
                    meta={"arrays": sorted(arrays)})


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise DataError("not a valid .npz file; save it with np.savez(path, x=..., y=...)",
                        file=path) from None
    if size > MAX_NPZ_BYTES:
        raise DataError(f"the arrays take {size / 2**20:.0f} MB; .npz files are capped at "
                        f"{MAX_NPZ_BYTES // 2**20} MB", file=path)
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in ("x", "y") if key not in npz.files]
            if missing:
                raise DataError(f"no array {missing[0]!r} (it holds "
                                f"{', '.join(npz.files) or 'nothing'}); save the file with "
                                f"np.savez(path, x=..., y=...)", file=path)
            for key in ("x", "y", "classes"):
                if key in npz.files:
                    arrays[key] = npz[key]
    except ValueError as err:  # object arrays, which would need unpickling, or a broken array
        raise DataError(f"an array could not be read without unpickling or is damaged ({err}); "
                        f"save plain numeric or text arrays", file=path) from None
    return arrays


def _named_classes(path: Path, y: np.ndarray, classes: np.ndarray) -> targets.Target:
    names = [str(name) for name in classes.ravel()]
    if y.ndim != 1 or y.dtype.kind not in "biu" or (len(y) and (y.min() < 0
                                                                 or y.max() >= len(names))):
        raise DataError(f"with a 'classes' array, y must hold class indices 0..{len(names) - 1}",
                        file=path)
    if len(names) < 2:
        raise DataError("classification needs at least 2 classes", file=path)
    return targets.Target(y.astype(np.int64), names)
