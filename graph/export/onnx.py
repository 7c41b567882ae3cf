"""ONNX: the classic TorchScript-based exporter, a dynamic batch axis, opset 17.

``torch.onnx.export(..., dynamo=False)``: on this machine it exports the small templates in well
under a second where the dynamo exporter spends 10–15 s starting up, and it writes one
self-contained file (the dynamo exporter puts large weights in a separate ``.data`` file).
The file must pass ``onnx.checker.check_model`` and onnxruntime must reproduce PyTorch's outputs.

A sequence input's length is kept free too, and an image's height and width, where the model
takes other sizes and the file gives its outputs at them; a transformer's length needs the
dynamo exporter for that (``onnx_lengths``). The file's note says which sizes it takes
(``lengths``).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from . import normalization
from .blame import find_culprit, first_line
from .errors import ExportError
from .formats import Format, Runner, _register
from .onnx_forms import onnx_ready
from .onnx_lengths import LENGTHS_KEY, free_lengths
from .reference import Reference

OPSET = 17


@contextlib.contextmanager
def _quiet_native_output():
    """The exporter's C++ side prints whole IR graphs to stdout when it fails; the error we
    raise says what matters, so that print goes to a scratch file."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def _export(model: nn.Module, inputs: tuple, target, input_names: list[str],
            output_names: list[str], lengths: dict[str, dict[int, str]] | None = None) -> None:
    """``lengths``: the inputs with axes written free besides the batch, ``{axis: name}``."""
    axes = {name: {0: "batch"} for name in input_names + output_names}
    for name, free in (lengths or {}).items():
        axes[name].update(free)
    model = onnx_ready(model, inputs)
    with warnings.catch_warnings(), _quiet_native_output():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            torch.onnx.export(model, inputs, target, dynamo=False, opset_version=OPSET,
                              input_names=input_names, output_names=output_names,
                              dynamic_axes=axes, do_constant_folding=True)
        finally:
            logging.disable(logging.NOTSET)


def _write(ref: Reference, path: Path) -> dict:
    import onnx

    names = [i.name for i in ref.inputs]
    free = free_lengths(ref, path, names, _export, _load)
    if free is None:
        try:
            _export(ref.model, tuple(ref.samples), str(path), names, list(ref.outputs))
        except OSError:  # the file could not be written (a full disk): no block's fault
            raise
        except Exception as exc:  # noqa: BLE001 - any exporter failure is reported with its block
            culprit = find_culprit(ref, _attempt)
            if culprit:
                raise ExportError("onnx", culprit[2], node=culprit[0], block=culprit[1]) from None
            raise ExportError("onnx", first_line(exc)) from None
    metadata = {}
    if ref.normalization:  # the inputs the weights were trained on were standardised
        metadata[normalization.KEY] = normalization.to_json(ref.normalization)
        metadata["layerloom.input"] = normalization.sentence(ref.normalization)
    if free:  # the design's length of each free one, which import-onnx builds the graph with
        metadata[LENGTHS_KEY] = json.dumps({spec.name: list(spec.shape) for spec in ref.inputs
                                            if spec.name in free})
    if metadata:
        model = onnx.load(str(path))
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:  # noqa: BLE001 - ValidationError or InferenceError
        raise ExportError("onnx", f"onnx.checker rejects the file: {first_line(exc)}") from None
    opset = onnx.load(str(path), load_external_data=False).opset_import[0].version
    return {"opset": opset, **({"free_lengths": free} if free else {})}


def _attempt(module: nn.Module, samples: tuple, checks: tuple = ()) -> bytes:
    names = [f"x{i}" for i in range(len(samples))]
    buffer = io.BytesIO()
    _export(module, samples, buffer, names, ["y"])
    return buffer.getvalue()


def _probe(module: nn.Module, samples: tuple, checks: tuple) -> list:
    import onnxruntime as ort

    session = ort.InferenceSession(_attempt(module, samples), providers=["CPUExecutionProvider"])
    return session.run(None, {f"x{i}": x.numpy() for i, x in enumerate(checks)})


def _load(ref: Reference, path: Path) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(inputs: list[torch.Tensor]) -> list:
        return session.run(None, {n: x.numpy() for n, x in zip(names, inputs)})
    return run


_register(Format(
    "onnx", ".onnx",
    "The model and its weights in ONNX, an open format that runs without PyTorch: "
    "ONNX Runtime opens it from Python (`onnxruntime.InferenceSession(\"model.onnx\")`), C#, "
    "Java, JavaScript or C++, and Netron draws it. It takes any batch size, and any sequence "
    f"length or image size where the model does (ONNX opset {OPSET}).",
    _write, _load, probe=_probe, modules=("onnx", "onnxruntime")))
