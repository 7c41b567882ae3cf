"""Does a design's Input fit a dataset? One error that gives both sides and the fix."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .dataset import Dataset
from .errors import DataError

FLOAT_NAMES = {"float32", "float", "float16", "bfloat16", "float64", "double", "half"}
INT_NAMES = {"int64", "long", "int32", "int"}


def check_input(ds: Dataset, input_shape: Sequence[int | None], dtype: str | torch.dtype = "float32"
                ) -> None:
    """Raise DataError when an Input of ``input_shape`` (no batch dimension; ``None`` or -1 for
    a size that may vary) and ``dtype`` cannot take ``ds``'s samples; return None when it can.

    >>> from types import SimpleNamespace
    >>> mnist = SimpleNamespace(name="mnist-5k", input_shape=(1, 28, 28), dtype="float32")
    >>> check_input(mnist, [1, 28, 28], "float32")
    >>> try:
    ...     check_input(mnist, [3, 32, 32], "float32")
    ... except DataError as err:
    ...     print(err)
    The design's Input is [3, 32, 32] float32 but mnist-5k gives [1, 28, 28] float32: set the \
Input's shape to [1, 28, 28] (or pick a dataset of that shape).
    """
    want = _family(dtype)
    shape = [None if size in (None, -1) else int(size) for size in input_shape]
    shape_ok = len(shape) == len(ds.input_shape) and all(
        size is None or size == have for size, have in zip(shape, ds.input_shape, strict=True))
    dtype_ok = want == ds.dtype
    if shape_ok and dtype_ok:
        return
    if not shape_ok and dtype_ok and lacks_channel_axis(shape, ds.input_shape):
        raise DataError(f"The design's Input is {_show(shape)} {_kind(want)} but {ds.name} gives "
                        f"{list(ds.input_shape)} {_kind(ds.dtype)}: {channel_axis_fix(ds)}.")
    fixes = [] if shape_ok else [f"shape to {list(ds.input_shape)}"]
    if not dtype_ok:
        fixes.append(f"dtype to {ds.dtype}")
    if not dtype_ok and ds.dtype == "int64":
        hint = ", and feed it to an Embedding (or pick a dataset of float values)"
    elif not dtype_ok:
        hint = " (token ids are for text datasets; or pick one of those)"
    else:
        hint = " (or pick a dataset of that shape)"
    message = (f"The design's Input is {_show(shape)} {_kind(want)} but {ds.name} gives "
               f"{list(ds.input_shape)} {_kind(ds.dtype)}: set the Input's "
               f"{' and '.join(fixes)}{hint}.")
    if not shape_ok:  # a table's width depends on which column is the target
        from .target import target_note

        note = target_note(ds, chosen="target" in (getattr(ds, "meta", None) or {}).get(
            "options", {}))
        message += f" {note}" if note else ""
    raise DataError(message)


def lacks_channel_axis(shape: Sequence[int | None], sample: Sequence[int]) -> bool:
    """The Input takes one-channel images ``[1, H, W]`` where the data give ``[H, W]``: the data
    lack the channel axis (``np.savez(x=images)`` of a ``[N, 28, 28]`` array); setting the
    Input to ``[H, W]`` instead would break the Conv2d after it."""
    return (len(shape) == 3 and len(sample) == 2 and shape[0] in (1, None)
            and all(s is None or s == w for s, w in zip(shape[1:], sample, strict=True)))


def channel_axis_fix(ds) -> str:
    """What to do when :func:`lacks_channel_axis`: change the data, not the design.

    >>> from types import SimpleNamespace
    >>> print(channel_axis_fix(SimpleNamespace(name="xy.npz", input_shape=(28, 28),
    ...                                        source="d/xy.npz")))
    give the images a channel axis, so that each sample is [1, 28, 28]: load xy.npz with the option channel_axis=add (CLI: --data-option channel_axis=add; Data page: the file's options)
    """
    want = [1, *(int(d) for d in ds.input_shape)]
    fix = f"give the images a channel axis, so that each sample is {want}"
    if str(getattr(ds, "source", "")).lower().endswith(".npz"):
        fix += (f": load {ds.name} with the option channel_axis=add (CLI: --data-option "
                f"channel_axis=add; Data page: the file's options)")
    return fix


def _family(dtype: str | torch.dtype) -> str:
    name = str(dtype).removeprefix("torch.")
    if name in FLOAT_NAMES:
        return "float32"
    if name in INT_NAMES:
        return "int64"
    raise DataError(f"an Input's dtype must be float32 or int64 (token ids), got {name!r}")


def _kind(dtype: str) -> str:
    return "int64 token ids" if dtype == "int64" else dtype


def _show(shape: list[int | None]) -> str:
    return "[" + ", ".join("?" if size is None else str(size) for size in shape) + "]"
