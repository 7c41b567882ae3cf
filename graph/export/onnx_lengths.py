"""An ONNX file whose sequence inputs take other lengths, and images other sizes, where the
model does.

The classic exporter keeps a length free when it is told to (``dynamic_axes``) and the model's
code reads sizes from tensors: an LSTM's file then runs at any length. It fixes what Python
reads as plain numbers, though: ``nn.MultiheadAttention`` unpacks ``query.shape`` into ints, so
a transformer's file declares its length free yet reshapes by the traced one, and fails (or
computes something else) at any other. The dynamo exporter (``torch.export``) keeps those
sizes symbolic, at 10–20 s of start-up, so it is tried only where the classic file fails.

Each file is run at the other lengths the model takes and kept only where it gives the model's
outputs; where neither exporter's does, the file is written with fixed lengths, as before, and
the export's note says the one length it takes (``lengths.sizes_note``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch

from .reference import Reference
from .verify import compare

LENGTHS_KEY = "layerloom.lengths"  # metadata: {input: the design's shape} of those with a free length


def free_lengths(ref: Reference, path: Path, names: list[str], export, load
                 ) -> dict[str, dict[int, str]] | None:
    """Write ``path`` with each sequence input's length free, by ``export`` (the classic
    exporter, as ``onnx._export``) or else by the dynamo exporter: ``{input: {axis: name}}``
    (the axis counted with the batch). None, with nothing written, where there is no length
    to free or no file passes."""
    lengths = [length for length in ref.lengths if length.checks]
    if not lengths:
        return None
    free: dict[str, dict[int, str]] = {}
    for length in lengths:
        for name in length.names:
            free.setdefault(name, {}).update(axis_names(length))
    for write in (lambda: export(ref.model, tuple(ref.samples), str(path), names,
                                 list(ref.outputs), free),
                  lambda: _dynamo(ref, path, names, lengths)):
        try:
            write()
            run = load(ref, path)
            compare("onnx", ref.expected, run(ref.checks))
            compare("onnx", ref.single_expected, run(ref.single))
            for length in lengths:
                for inputs, expected in length.checks.values():
                    compare("onnx", expected, run(inputs))
        except Exception:  # noqa: BLE001 - this exporter fixed something the model frees
            _remove(path)
            continue
        return free
    return None


def _dynamo(ref: Reference, path: Path, names: list[str], lengths) -> None:
    """``torch.onnx.export(dynamo=True)`` with the batch and the lengths as ``torch.export``
    dimensions (a length's maximum the design's where the model takes no longer one), the
    weights inside the one file."""
    batch = torch.export.Dim("batch")
    dims: list[dict] = [{0: batch} for _ in names]
    for length in lengths:
        longest = any(ok for n, ok in length.model_takes.items() if n > length.size)
        for (axis, symbol), size in zip(axis_names(length).items(), length.sizes(length.size)):
            dim = torch.export.Dim(symbol, max=None if longest else size)
            for name in length.names:
                dims[names.index(name)][axis] = dim
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            torch.onnx.export(ref.model, tuple(ref.samples), str(path), dynamo=True,
                              input_names=names, output_names=list(ref.outputs),
                              dynamic_shapes=tuple(dims), external_data=False, verbose=False)
        finally:
            logging.disable(logging.NOTSET)


def axis_names(length) -> dict[int, str]:
    """The file's name of each axis ``length`` frees, by axis (counted with the batch):
    ``tokens_length``; ``signal_length_2`` for a length on a sample's second axis;
    ``image_height`` and ``image_width`` for an image's.

    >>> from layerloom.graph.export.lengths import Length
    >>> axis_names(Length(("signal",), 1, 128, {})), axis_names(Length(("image",), 1, 28, {}, width=28))
    ({2: 'signal_length_2'}, {2: 'image_height', 3: 'image_width'})
    """
    stem = "_".join(length.names)
    if length.width is not None:
        return {length.axis + 1: f"{stem}_height", length.axis + 2: f"{stem}_width"}
    return {length.axis + 1: f"{stem}_length" + (f"_{length.axis + 1}" if length.axis else "")}


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.data").unlink(missing_ok=True)  # external weights, were any written
