"""onnxruntime runs an imported ONNX file here: in a child process capped at the run budget.

Every run of a file the import makes (its batch freed, the probes of every value, the imported
graph against the file) goes through :func:`run_onnx`, which hands the file and its inputs to
:mod:`.onnx_child` and reads back the outputs. Whatever the file asks for, this process
allocates only the outputs the child could make within the budget:

- a value over the budget fails at the child's cap without being made, and is refused here in
  words: its ONNX node, shape and size where the file states them (a ``ConstantOfShape`` of
  [100000, 100000], a ``Tile``, ``Expand``, ``Range`` or ``Resize`` to a size of the file's
  constants or of the input's shape, found by shape inference), else the node and what it
  asked for, as onnxruntime says them (a size computed from the input's values);
- a run past the time budget is ended, and a crash of onnxruntime ends the child only.

The inputs the import feeds are checked here, before they are made (:func:`refuse_large_inputs`).
Only numbers and text cross between the processes (``.npz`` read with ``allow_pickle=False``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import GraphError
from ..limits import size_words
from .onnx_budget import (RUN_SECONDS_ENV, OverBudget, node_label, over_memory, run_bytes,
                          run_seconds)
from .onnx_child import EXIT_MEMORY

CHILD = Path(__file__).with_name("onnx_child.py")
_THREADS = 4  # onnxruntime's threads in the child, at most


class OrtFailure(Exception):
    """onnxruntime refused the file: ``stage`` is ``"load"`` (it cannot make a session of it)
    or ``"run"`` (run number ``run`` failed); the message is onnxruntime's own."""

    def __init__(self, message: str, stage: str, run: int):
        super().__init__(message)
        self.stage, self.run = stage, run


def run_onnx(models: list[tuple[object, bool]], runs: list[tuple[int, dict[str, np.ndarray]]],
             file: str | None = None, sizes: int = 0) -> list[dict[str, np.ndarray]]:
    """Each run's outputs by name, in the session's order: ``runs`` are ``(model, inputs)``, the
    model an index into ``models``, which are ``(ModelProto, optimise)`` (``optimise`` False:
    onnxruntime runs the nodes as the file has them, every value exposed one keeps its name).
    The models of one call are one file (with more outputs exposed, or its batch freed); where
    a run is refused at the cap, the sizes ``models[sizes]`` states at the runs' batches say
    which value.

    :class:`OrtFailure` where onnxruntime refuses the file; :class:`OverBudget` (naming
    ``file``) where a run asks for more memory or time than its budget.
    """
    header = {"budget": run_bytes(), "threads": min(_THREADS, os.cpu_count() or 1),
              "optimize": [optimise for _, optimise in models], "runs": [], "sizes": sizes}
    arrays = {f"model{i}": np.frombuffer(_serialized(model), dtype=np.uint8)
              for i, (model, _) in enumerate(models)}
    for k, (index, feeds) in enumerate(runs):
        header["runs"].append({"model": index, "inputs": list(feeds)})
        arrays.update({f"feed{k}_{j}": np.ascontiguousarray(value)
                       for j, value in enumerate(feeds.values())})
    reply, answer = _ask(header, arrays, file)
    if reply["ok"]:
        return [{name: answer[f"out{k}_{j}"] for j, name in enumerate(names)}
                for k, names in enumerate(reply["outputs"])]
    if reply["stage"] == "sizes":
        raise _stated(reply["over"], models[sizes][0], file)
    raise _refusal(reply, runs, file)


def refuse_large_inputs(model, file: str | None, batches: Iterable[int]) -> None:
    """An :class:`OverBudget` error naming the first input of ``model`` that takes more than
    the run budget at one of ``batches`` (its first dimension), as its declared shape says:
    the import makes its inputs itself, before onnxruntime runs."""
    weights = {t.name for t in model.graph.initializer}
    most = run_bytes()
    for value in model.graph.input:
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in value.type.tensor_type.shape.dim]
        if value.name in weights or not dims or None in dims[1:]:
            continue
        item = 8 if value.type.tensor_type.elem_type == 7 else 4  # int64 ids, else float32
        for batch in sorted(set(batches)):
            size = int(np.prod([batch, *dims[1:]], dtype=object)) * item
            if size > most:
                raise over_memory(f"input '{value.name}' takes {size_words(size)} "
                                  f"({'int64' if item == 8 else 'float32'} "
                                  f"{[batch, *dims[1:]]} on a batch of {batch})", file)


def _ask(header: dict, arrays: dict, file: str | None) -> tuple[dict, dict]:
    """The child's answer to ``header`` with ``arrays``: its header and its arrays. An
    :class:`OverBudget` where it takes longer than the time budget or ends without
    answering."""
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    seconds = run_seconds()
    with tempfile.TemporaryFile() as request, tempfile.TemporaryFile() as out:
        np.savez(request, **arrays)  # a file, not bytes: no second copy of the weights here
        del arrays
        request.seek(0)
        try:
            done = subprocess.run([sys.executable, "-P", str(CHILD)], stdin=request, stdout=out,
                                  stderr=subprocess.PIPE, timeout=seconds,
                                  env={**os.environ, "MALLOC_ARENA_MAX": "2"})
        except subprocess.TimeoutExpired:
            raise OverBudget(f"running the file took more than {seconds} seconds; running an "
                             f"ONNX file may take {seconds} seconds at a time (set "
                             f"{RUN_SECONDS_ENV} to change it)", file=file) from None
        except OSError as exc:  # no Python to start (an embedded interpreter)
            raise GraphError(f"onnxruntime could not be started in a process of its own to "
                             f"run the file: {exc}", file=file) from None
        if done.returncode != 0:
            raise _ended(done.returncode, done.stderr, file)
        out.seek(0)
        with np.load(out, allow_pickle=False) as answer:
            return json.loads(answer["header"].tobytes()), \
                {name: answer[name] for name in answer.files if name != "header"}


def _stated(over: dict, model, file: str | None) -> OverBudget:
    """The refusal of a value whose stated size is over the budget (the child's ``over``)."""
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(over["elem"]).name
    shown = f"{size_words(over['bytes'])} ({dtype} {over['dims']} on a batch of {over['batch']})"
    if over["node"] < 0:
        return over_memory(f"input '{over['name']}' takes {shown}", file)
    node = model.graph.node[over["node"]]
    return over_memory(f"ONNX node {node_label(node, over['node'])} ({node.op_type}) makes a "
                       f"value of {shown}", file)


def _serialized(model) -> bytes:
    """``model``'s bytes with each unnamed node of its graph named as the importer names it
    (``Mul_3``), so that onnxruntime's messages name it too; ``model`` itself is unchanged."""
    taken = {node.name for node in model.graph.node}
    unnamed = [(index, node) for index, node in enumerate(model.graph.node) if not node.name]
    try:
        for index, node in unnamed:
            label = node_label(node, index)
            node.name = label if label not in taken else ""
        return model.SerializeToString()
    finally:
        for _, node in unnamed:
            node.name = ""


def _refusal(reply: dict, runs, file: str | None) -> Exception:
    """The error for the child's answer that a run or a session failed: at the cap, the node
    and what it asked for, where onnxruntime said them."""
    k = int(reply.get("run", 0))
    if reply["stage"] != "memory":
        return OrtFailure(reply.get("message", ""), reply["stage"], k)
    feeds = list(runs[k][1].values()) if k < len(runs) else []
    batch = f" on a batch of {feeds[0].shape[0]}" if feeds and np.ndim(feeds[0]) else ""
    if not reply.get("node") and not reply.get("op"):
        return over_memory(f"onnxruntime ran out of memory running the file{batch}", file)
    asked = size_words(reply["asked"]) if reply.get("asked") else "more memory"
    return over_memory(f"ONNX node {reply['node']} ({reply['op']}) asked for {asked} while "
                       f"onnxruntime ran the file{batch}, past what the run had left", file)


def _ended(code: int, stderr: bytes, file: str | None) -> GraphError:
    """The error for a child that ended without answering: killed by a signal (onnxruntime
    crashed, or aborted on an allocation it could not make), or out of memory writing its
    answer."""
    if code == EXIT_MEMORY:
        return over_memory("onnxruntime ran out of memory handing back the file's values", file)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return over_memory(f"onnxruntime crashed running the file ({name}): the file may be "
                           f"malformed, or need more memory than it may use", file)
    said = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return GraphError(f"onnxruntime could not run the file in a process of its own: "
                      f"{said[-1] if said else f'exit status {code}'}", file=file)
