"""Export a graph (with trained or fresh weights) to files that are checked before they count.

>>> result = export_model(graph, "onnx", "model.onnx", state_dict)     # doctest: +SKIP
>>> result.max_abs_diff, result.bytes                                    # doctest: +SKIP
(5.9e-08, 139214)

Formats: ``json`` (the graph), ``python`` (generated code + ``.safetensors`` weights beside it),
``torchscript``, ``onnx``, ``safetensors`` (weights), ``bundle`` (one zip with all of them, a
``predict.py`` and a model card). Every file is written under a temporary name, loaded back and
run on the same inputs as the model; only when the outputs agree is it moved into place, all of
a format's files together or none (``graph.place_files``). A failure or a mismatch raises
:class:`ExportError` naming the format and, where one is to blame, the block; nothing
half-written is left behind.
"""

from __future__ import annotations

import errno
import importlib
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import GraphError
from ..io import load_graph
from ..model import Graph
from ..place_files import place_together, scratch_folder
from ..summary import format_bytes
from . import onnx as _onnx  # noqa: F401  (registers the format)
from .blame import find_culprit, first_line
from .errors import ExportError
from .formats import FORMATS
from .lengths import sizes_note
from .normalization import WHERE, record, sentence
from .reference import Reference, prepare
from .run import RunInfo
from .verify import ATOL, compare

__all__ = ["FORMAT_NAMES", "ExportError", "ExportResult", "RunInfo", "export_model", "preload"]

FORMAT_NAMES = ("json", "python", "torchscript", "onnx", "safetensors", "bundle")


@dataclass
class ExportResult:
    format: str
    path: Path
    files: list[Path]  # everything written (the python format writes two)
    bytes: int  # their total size
    max_abs_diff: float  # of the file(s) loaded back against the model
    seconds: float  # writing and checking
    notes: dict[str, Any] = field(default_factory=dict)  # e.g. TorchScript's method, bundle parts

    def describe(self) -> str:
        """``model.onnx (onnx): 139.2 kB, verified (max abs diff 5.96e-08)``."""
        return (f"{self.path} ({self.format}): {format_bytes(self.bytes)}, verified (max abs diff "
                f"{self.max_abs_diff:.2e}) in {self.seconds:.2f} s")


def export_model(graph: Graph | dict | str | Path, fmt: str, path: str | Path,
                 state_dict: Mapping[str, torch.Tensor] | None = None, *,
                 run: RunInfo | None = None, sample_inputs: Any = None, seed: int = 0,
                 variables: Mapping[str, Any] | None = None, atol: float = ATOL,
                 overwrite: bool = True) -> ExportResult:
    """Write ``graph`` as ``fmt`` to ``path`` and check it.

    With ``overwrite=False`` an existing file at ``path`` (or at a file the format writes beside
    it) is refused with an :class:`ExportError` before anything is done. Files are written with
    the permissions of any new file (``0o666`` less the umask).

    Without ``state_dict`` (nor ``run.state_dict``) the weights are fresh, from ``seed``.
    ``run`` adds the training parts to a bundle (config, metrics, curves, data). ``sample_inputs``
    (a tensor or one per Input, batch first) are what the files are checked on; random inputs
    otherwise.
    """
    if fmt not in FORMAT_NAMES:
        raise ExportError(str(fmt), f"unknown format; choose one of {', '.join(FORMAT_NAMES)}")
    if not isinstance(graph, Graph):
        graph = load_graph(graph)
    if state_dict is None and run is not None:
        state_dict = run.state_dict
    _refuse_unwritable(fmt, Path(path))
    if not overwrite:
        _refuse_existing(fmt, Path(path))
    preload(fmt)
    started = time.perf_counter()
    try:
        ref = prepare(graph, state_dict, seed=seed, sample_inputs=sample_inputs,
                      variables=variables)
    except ExportError:
        raise
    except GraphError as exc:
        raise ExportError(fmt, f"the graph is not valid: {exc}", node=exc.node) from None
    if run is not None:
        ref.data = run.data_name()
        if all(spec.dtype != "int64" for spec in ref.inputs):  # token ids are never scaled
            ref.normalization = record(run.dataset.get("normalization"))
    path = Path(path)
    if fmt == "bundle":
        from .bundle import write_bundle

        return _place(fmt, path, started, lambda tmp: write_bundle(ref, tmp, run, atol))
    result = _place(fmt, path, started, lambda tmp: write_checked(ref, fmt, tmp, atol))
    if ref.normalization and fmt in WHERE:  # said where the user reads the export's result
        result.notes["normalization"] = f"{sentence(ref.normalization)} Written into {WHERE[fmt]}."
    return result


def preload(fmt: str) -> None:
    """Import the libraries ``fmt`` is written and checked with (onnx, onnxruntime,
    safetensors) now, before any file is made. Imported on the way, a Ctrl+C during the import
    of one (onnx's protobuf extension) left it half-initialised and Python aborted ('Fatal
    Python error: Aborted'), the export's temporary folder left behind; the CLI imports them
    with Ctrl+C held back (``cli.signals.held``)."""
    from .bundle import PARTS

    for name in [part for _, part in PARTS] if fmt == "bundle" else [fmt]:
        for module in FORMATS[name].modules:
            importlib.import_module(module)


def write_checked(ref: Reference, fmt: str, path: Path, atol: float = ATOL,
                  label: str | None = None) -> tuple[list[Path], float, dict]:
    """Write one format to ``path``, load it back and compare: ``(files, max diff, notes)``."""
    spec = FORMATS[fmt]
    label = label or fmt
    try:
        started = time.perf_counter()
        notes = dict(spec.write(ref, path))
        written = time.perf_counter()
        runner = spec.load(ref, path)
        got = runner(ref.checks)
        notes["write_seconds"] = written - started
        notes["check_seconds"] = time.perf_counter() - written
    except ExportError as exc:
        if exc.format != label:
            raise ExportError(label, exc.reason, node=exc.node, block=exc.block) from None
        raise
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS):
            raise ExportError(label, f"{type(exc).__name__}: {first_line(exc)}") from None
        raise  # the file could not be written (a full disk): said of the file, not the format
    except Exception as exc:  # noqa: BLE001 - a file that does not load is an export failure
        raise ExportError(label, f"{type(exc).__name__}: {first_line(exc)}") from None
    try:
        diff = compare(label, ref.expected, got, atol)
    except ExportError as exc:
        culprit = find_culprit(ref, _numeric(spec.probe, atol)) if spec.probe else None
        if culprit is None:
            raise
        raise ExportError(label, f"{exc.reason}; the block alone differs too: {culprit[2]}",
                          node=culprit[0], block=culprit[1]) from None
    try:  # a batch of one, which a user's first call often is
        got = runner(ref.single)
    except Exception as exc:  # noqa: BLE001 - the file takes batch 3 but not batch 1
        raise ExportError(label, f"the file fails on a batch of 1: {type(exc).__name__}: "
                                 f"{first_line(exc)}") from None
    try:  # a check, not the diff reported, which stays the check batch's
        compare(label, ref.single_expected, got, atol)
    except ExportError as exc:
        raise ExportError(label, f"on a batch of 1, {exc.reason}") from None
    notes["sizes"], narrower = sizes_note(ref, runner, atol)
    if narrower:  # the file refuses lengths the model takes: said as a warning, not a detail
        notes["fixed_length"] = True
    return [path] + spec.extra_files(path), diff, notes


def _numeric(probe, atol: float):
    """An attempt for :func:`find_culprit` that fails when the block computes otherwise."""
    def attempt(module, samples, checks) -> None:
        with torch.no_grad():
            expected = ref_outputs(module(*checks))
        try:
            compare("block", expected, probe(module, samples, checks), atol)
        except ExportError as exc:
            raise ValueError(exc.reason) from None
    return attempt


def ref_outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def planned_files(fmt: str, path: str | Path) -> list[Path]:
    """The files exporting ``fmt`` to ``path`` writes (the python format's weights beside it)."""
    path = Path(path)
    return [path] if fmt == "bundle" else [path] + FORMATS[fmt].extra_files(path)


def _refuse_unwritable(fmt: str, path: Path) -> None:
    """A path that names a folder, or whose companion file would be the path itself."""
    suffix = FORMATS[fmt].suffix if fmt in FORMATS else ".zip"
    for file in planned_files(fmt, path):
        if file.is_dir():
            raise ExportError(fmt, f"{file} is a folder; give the name of a file to write, "
                                   f"e.g. {file / (path.stem or 'model')}{suffix}",
                              unwritable=True)
    if len(set(planned_files(fmt, path))) < len(planned_files(fmt, path)):
        raise ExportError(fmt, f"{path} would be both the code and the weights written beside "
                               f"it ({path.stem}.safetensors); give the code a {suffix} name")


def _refuse_existing(fmt: str, path: Path) -> None:
    planned = planned_files(fmt, path)
    existing = [file for file in planned if file.exists()]
    if existing:
        what = ("" if existing[0] == planned[0] else
                f" (the weights that go beside {planned[0].name})")
        raise ExportError(fmt, f"{existing[0]}{what} already exists; choose another file, or "
                               f"allow overwriting it (--force on the command line)")


def _new_file_mode() -> int:
    """``0o666`` less the process's umask (read without changing it where Linux tells it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _place(fmt: str, path: Path, started: float, write) -> ExportResult:
    """Run ``write`` on a temporary path beside ``path``; move its files into place only when
    it returns, all of them or none (``graph.place_files``: Python code never lands beside the
    weights of an older export), and delete them whatever happens otherwise."""
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():  # out.txt/model.onnx
        raise ExportError(fmt, f"{folder} is a file, not a folder, so {path.name} cannot be "
                               f"written in it; give a path in a folder that exists",
                          unwritable=True)
    if not folder.is_dir():
        raise ExportError(fmt, f"no folder {folder} to write {path.name} into; make it first, or "
                               f"give a path in a folder that exists", unwritable=True)
    with scratch_folder(folder, ".layerloom-export-") as tmp_dir:
        try:
            files, diff, notes = write(tmp_dir / path.name)
        except OSError as exc:  # a full disk: said of the user's file, not its scratch copy
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
        mode = _new_file_mode()  # some writers (safetensors) create their files 0o600
        for file in files:
            os.chmod(file, mode)
        placed = place_together([(file, folder / file.name) for file in files],
                                Path(tempfile.mkdtemp(prefix="replaced-", dir=tmp_dir)))
        size = sum(p.stat().st_size for p in placed)
        return ExportResult(fmt, path, placed, size, diff, time.perf_counter() - started, notes)
