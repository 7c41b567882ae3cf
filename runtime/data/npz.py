"""NumPy ``.npz`` files holding arrays ``x`` (samples first) and ``y`` (labels or targets).

Loaded with ``allow_pickle=False``: a user's file is never unpickled. An optional ``classes``
array names the classes when ``y`` holds class indices.

Two common forms are read as what they are, and said so in ``Dataset.meta["notes"]``: images
saved channels-last (``[N, H, W, C]``, C 1, 3 or 4, as Keras and PIL keep them) are transposed
to ``[N, C, H, W]``, so that they are standardised per channel and fit a Conv2d; a one-hot
``y`` (``[N, K]`` rows of 0s and one 1) is K classes, ``y.argmax(1)``, not K regression targets
(unless the task is set to regression). 8-bit images without a channel axis (``[N, H, W]``
uint8, as MNIST ships them) are grayscale: they gain one, ``[N, 1, H, W]``, as a Conv2d and
the designs' image Inputs (``[1, 28, 28]``) take them; the option ``channel_axis`` adds it to
float images too (``add``) or keeps ``[N, H, W]`` (``none``: rows as a sequence).

Each array's shape and type are read from its ``.npy`` header first, and the bytes they declare
checked against ``LAYERLOOM_MAX_NPZ_BYTES`` (default 1 GiB, all arrays together) before any
array is loaded: a header that declares ``(1000000, 1000000)`` is refused, not allocated. So
are ``x``'s values as the float32 that training holds (8-bit images take 4 times their size).
"""

from __future__ import annotations

import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from . import target as targets
from .build import assemble
from .dataset import Dataset
from .errors import DataError, budget, over_budget
from .split import SplitSpec, split_indices

MAX_NPZ_BYTES = 1024 * 2**20  # uncompressed, and the bytes the arrays' headers declare
ENV = "LAYERLOOM_MAX_NPZ_BYTES"
# What a damaged file makes zipfile, zlib and numpy raise (numpy parses a header with tokenize
# and ast, whose errors are many); each becomes a DataError. MemoryError is not among them.
BROKEN = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
          RuntimeError, KeyError, TypeError, OverflowError, SyntaxError, UnicodeDecodeError,
          tokenize.TokenError, IndexError, AttributeError)


def load_npz(path: Path, spec: SplitSpec, *, task: str, dtype: str, normalize: str,
             channel_axis: str = "auto") -> Dataset:
    """A Dataset of ``x``'s rows. ``dtype="int64"`` reads ``x`` as token ids; ``normalize``
    "auto" standardises floats per feature (``[N, F]``) or per channel (``[N, C, ...]``);
    ``channel_axis`` "auto" gives 8-bit ``[N, H, W]`` images their channel axis."""
    arrays, read_as, test_from = _read(path)
    x, y = arrays["x"], arrays["y"]
    if x.ndim == 0 or y.ndim == 0:
        raise DataError(f"{'x' if x.ndim == 0 else 'y'} is a single value; x must hold one row "
                        f"per sample and y one label or target per sample", file=path)
    if x.ndim == 1:
        x = x[:, None]  # one feature per sample
    if len(x) != len(y):
        raise DataError(f"x has {len(x)} samples but y has {len(y)}; they must match",
                        file=path)
    if not len(x):
        raise DataError(f"x and y hold no samples (x has shape {list(x.shape)}); save the "
                        f"arrays with their samples", file=path)
    if x.dtype.kind not in "biuf":
        raise DataError(f"x holds {x.dtype} values; it must hold numbers", file=path)
    if y.dtype.kind not in "biufUS":  # dates, durations, complex numbers: no label or target
        raise DataError(f"y holds {y.dtype} values; it must hold class labels (whole numbers "
                        f"or names) or numbers to predict", file=path)
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1) if x.dtype.kind == "f" else None
    if bad is not None and bad.any():
        raise DataError(f"x[{int(np.argmax(bad))}] holds NaN or infinite values", file=path)
    if dtype == "int64" and (x.dtype.kind not in "biu" or (x.size and x.min() < 0)):
        raise DataError("token ids (dtype='int64') must be whole numbers ≥ 0", file=path)
    notes = read_as
    tokens = dtype == "int64"
    if not tokens and channels_last(x.shape):
        notes.append(f"x {list(x.shape)} is read as channels-last images [N, H, W, C] and "
                     f"transposed to [N, C, H, W] {[x.shape[i] for i in (0, 3, 1, 2)]}")
        x = x.transpose(0, 3, 1, 2)
    added = not tokens and x.ndim == 3 and (
        channel_axis == "add" or (channel_axis == "auto" and x.dtype == np.uint8))
    if added:
        notes.append(f"x {list(x.shape)} is read as grayscale images [N, H, W] and given a "
                     f"channel axis: [N, 1, H, W] {[x.shape[0], 1, *x.shape[1:]]}, as an image "
                     f"Input of one channel takes them (to keep [N, H, W], load the file with "
                     f"channel_axis=none)")
        x = x[:, None]
    scaled = not tokens and x.dtype == np.uint8 and x.ndim >= 3
    if scaled:
        # 8-bit images: in [0, 1] as image folders give them, and as the app's "Try it" and
        # the bundle's predict.py hand a picture to the model (its normalisation follows)
        notes.append("x holds 8-bit images: scaled to [0, 1] (x / 255) as image files are")
        x = x.astype(np.float32)
        x /= np.float32(255)  # in place: a second float32 copy of every image was made
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError("y holds NaN or infinite values", file=path)
    if y.ndim >= 3 and y.dtype.kind in "biu" and task != "regression":
        # a label map per sample (segmentation): not one class per sample, nor values
        raise DataError(
            f"y holds a map of whole numbers per sample ({list(y.shape[1:])}: a class for each "
            f"pixel, as for segmentation?); LayerLoom trains one class per sample (y of shape "
            f"[N]) or numeric targets. To fit the map's numbers as values, load it with "
            f"task='regression' (CLI: --data-option task=regression), or save y as floats",
            file=path)
    classes = arrays.get("classes")
    if y.ndim == 2 and y.shape[1] == 1 and (task == "classification" or (
            task == "auto" and classes is None and targets.infer_task(y) == "classification")):
        notes.append(f"y {list(y.shape)} is a column of labels: one class per sample")
        y = y[:, 0]  # as scikit-learn's reshape(-1, 1) leaves it
    if one_hot(y) and (task != "regression" or classes is not None):
        notes.append(f"y {list(y.shape)} is one-hot: its classes are y.argmax(1)")
        y = y.argmax(1)
        if classes is None:  # every column is a class, hot in some row or not
            classes = np.arange(arrays["y"].shape[1])
    if classes is not None:
        goal = _named_classes(path, y, classes)
    else:
        goal = targets.encode(y, task, str(path))
    if normalize == "auto":
        normalize = "feature" if x.ndim == 2 else "channel"
    meta = {"arrays": sorted(arrays), **({"notes": notes} if notes else {}),
            **({"channel_axis_added": True} if added else {}),
            **({"scale": 255.0} if scaled else {})}  # what x was divided by (predict.py's)
    split = None
    if test_from is not None:  # the file's own test split (x_test) stays the test set
        split = split_indices(len(x), spec, goal.y if goal.classes is not None else None,
                              where=path.name, test_from=test_from)
    return assemble(path.name, str(path), x, goal.y, spec, classes=goal.classes,
                    norm=None if normalize == "none" or tokens else normalize, tokens=tokens,
                    split=split, meta=meta, owned=True)  # x was read from the file: ours


def channels_last(shape: tuple[int, ...]) -> bool:
    """``[N, H, W, C]`` images: 4-D with a last axis of 1, 3 or 4 (gray, RGB, RGBA) smaller
    than both H and W, and a second axis that could not itself be channels.

    >>> channels_last((300, 32, 32, 3)), channels_last((300, 3, 32, 32))
    (True, False)
    """
    return (len(shape) == 4 and shape[3] in (1, 3, 4) and shape[1] > shape[3]
            and shape[2] > shape[3] and shape[1] not in (1, 3, 4))


def one_hot(y: np.ndarray) -> bool:
    """Rows of 0s and 1s with exactly one 1: ``[N, K]``, K ≥ 2, integers, floats or booleans."""
    if y.ndim != 2 or y.shape[1] < 2 or len(y) == 0 or y.dtype.kind not in "biuf":
        return False
    return bool(np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all())


# Other names the samples and labels are saved under, tried in this order where the file has
# no x and y: scikit-learn's X and data/target, Keras' x_train/y_train (with x_test/y_test),
# np.savez(path, x, y) without names (arr_0, arr_1), and the common words.
PAIRS = (("X", "y"), ("X", "Y"), ("x", "Y"), ("data", "target"), ("data", "labels"),
         ("features", "labels"), ("features", "target"), ("images", "labels"),
         ("inputs", "targets"), ("inputs", "labels"), ("samples", "labels"),
         ("x_train", "y_train"), ("X_train", "y_train"), ("arr_0", "arr_1"))
CLASS_NAMES = ("classes", "class_names", "target_names", "labels_names")


def _which(path: Path, members: dict) -> tuple[dict[str, list[str]], list[str]]:
    """The members read as ``x``, ``y`` and ``classes`` (``{"x": ["x_train", "x_test"], …}``:
    several are put end to end), and the note saying so where they are not named x and y."""
    names = set(members)
    if {"x", "y"} <= names:
        which = {"x": ["x"], "y": ["y"]}
    else:
        found = [(x, y) for x, y in PAIRS if {x, y} <= names
                 and (x != "arr_0" or names <= {"arr_0", "arr_1", "arr_2"})]
        if len(found) != 1:
            held = ", ".join(sorted(names)) or "nothing"
            why = (f"it holds {held}, so which are the samples and which their labels is not "
                   f"clear" if found else f"it holds {held}")
            missing = "y" if "x" in names else "x"
            raise DataError(f"no array {missing!r} ({why}); save the samples as x and their "
                            f"labels as y: np.savez(path, x=samples, y=labels)", file=path)
        x, y = found[0]
        which = {"x": [x], "y": [y]}
        test = {"x_train": "x_test", "X_train": "X_test"}.get(x)
        if test in names and "y_test" in names:
            which = {"x": [x, test], "y": [y, "y_test"]}
    named = next((n for n in ("classes", *CLASS_NAMES) if n in names), None)
    if named:
        which["classes"] = [named]
    if which["x"] == ["x"] and which["y"] == ["y"]:
        return which, []
    said = {key: " and ".join(repr(m) for m in which[key]) for key in which}
    note = f"{said['x']} read as x and {said['y']} as y"
    if len(which["x"]) > 1:
        note += (f"; the file's own test split ({which['x'][1]}, {which['y'][1]}) is kept as "
                 f"the test set, and {which['x'][0]} is split into training and validation "
                 f"(val_fraction of it; test_fraction does not apply)")
    return which, [note]


def _read(path: Path) -> tuple[dict[str, np.ndarray], list[str], int | None]:
    """The arrays read as ``x``, ``y`` (and ``classes``), the note naming them, and where
    the file's own test split starts in ``x`` (Keras' ``x_test``, put after ``x_train``), or
    None."""
    most = budget(ENV, MAX_NPZ_BYTES)
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            size = sum(info.file_size for info in members.values())
            if size > most:
                raise over_budget(f"the arrays take {size:,} bytes uncompressed; .npz files "
                                  f"are capped at {most:,} bytes", ENV, file=path)
            which, notes = _which(path, members)
            declared = samples = 0
            for key, names in which.items():
                for name in names:
                    count, size = _declared(path, archive, members[name], name)
                    declared += size
                    samples += count if key == "x" else 0
            if declared > most:
                raise over_budget(f"the arrays' headers declare {declared:,} bytes; .npz files "
                                  f"are capped at {most:,} bytes", ENV, file=path)
            if samples * 4 > most:  # 8-bit images are 4 times their size as float32
                raise over_budget(f"x holds {samples:,} values, {samples * 4:,} bytes as the "
                                  f"float32 values training holds; .npz files are capped at "
                                  f"{most:,} bytes: save fewer samples, or smaller images",
                                  ENV, file=path)
            arrays, firsts = {}, {}
            for key, names in which.items():
                parts = [_load_array(path, archive, members[name], name) for name in names]
                if len(parts) > 1 and len({part.shape[1:] for part in parts}) > 1:
                    shapes = " and ".join(f"{n} {list(p.shape)}" for n, p in zip(names, parts))
                    raise DataError(f"{shapes} differ past their first axis; they cannot be "
                                    f"put end to end", file=path)
                arrays[key] = parts[0] if len(parts) == 1 else np.concatenate(parts)
                if len(parts) > 1:
                    firsts[key] = (names[0], len(parts[0]))
            if firsts and firsts["x"][1] != firsts["y"][1]:
                (x, n), (y, m) = firsts["x"], firsts["y"]
                raise DataError(f"{x} has {n} samples but {y} has {m}; they must match",
                                file=path)
            return arrays, notes, firsts["x"][1] if firsts else None
    except DataError:
        raise
    except BROKEN as err:
        raise DataError(f"not a valid .npz file, or an array in it is damaged ({err}); save "
                        f"it with np.savez(path, x=..., y=...)", file=path, unreadable=True) from None


def _header(path: Path, stream, key: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from the ``.npy`` header at the stream's start."""
    version = npy_format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
    else:
        raise DataError(f"array {key!r}: .npy format version {version} is not supported",
                        file=path)
    if dtype.hasobject:
        raise DataError(f"an array could not be read without unpickling: {key!r} holds "
                        f"Python objects; save plain numeric or text arrays", file=path)
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise DataError(f"array {key!r}: its header declares the shape {shape}", file=path)
    return tuple(shape), fortran, dtype


def _declared(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
              key: str) -> tuple[int, int]:
    """The values and the bytes the array's header declares."""
    with archive.open(info) as stream:
        shape, _, dtype = _header(path, stream, key)
    count = 1
    for n in shape:
        count *= n
    return count, count * dtype.itemsize


def _load_array(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                key: str) -> np.ndarray:
    """The array, read after its header was checked (never unpickled)."""
    with archive.open(info) as stream:
        return npy_format.read_array(stream, allow_pickle=False)


def _named_classes(path: Path, y: np.ndarray, classes: np.ndarray) -> targets.Target:
    names = [str(name) for name in np.asarray(classes).ravel()]
    if y.ndim != 1 or y.dtype.kind not in "biu" or (len(y) and (y.min() < 0
                                                                 or y.max() >= len(names))):
        raise DataError(f"with a 'classes' array, y must hold class indices 0..{len(names) - 1}",
                        file=path)
    if len(names) < 2:
        raise DataError("classification needs at least 2 classes", file=path)
    return targets.Target(y.astype(np.int64), names)
