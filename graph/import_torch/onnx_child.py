"""The process in which an ONNX file being imported is worked on: onnxruntime runs it, and ONNX's
shape inference states the sizes of its values.

An ONNX file can ask for any amount of memory while it runs — a ``ConstantOfShape`` of
[100000, 100000], an ``Expand`` or ``Tile`` to a size computed from the input's values — and
onnxruntime allocates what it is asked; even shape inference, following shapes through
``Concat`` after ``Concat``, can be made to build a list of billions of sizes. So the importer
never does either in its own process (the designer's server, the CLI): :mod:`.onnx_runner`
starts this script with ``python -P onnx_child.py``, and it caps its own address space
(``RLIMIT_AS``) at what it holds after starting plus the run budget before it reads the file.
An allocation past the cap fails inside onnxruntime, which says which node asked; nothing is
allocated for it. A crash of onnxruntime on a malformed file ends this process, not the server.

It imports numpy, onnx and onnxruntime only, never the package it sits in (``-P``: its folder is
not on ``sys.path``, so the importer's own modules cannot shadow a library's).

Where a run fails at the cap, ONNX's shape inference (with data propagation, so that shapes
computed by ``Shape → Gather → Concat`` are followed) states each value's shape at each batch
of the runs, and the first value over the budget is reported by its node, shape and size; where
the file does not state it (a size computed from the input's values), onnxruntime's own words
say the node and what it asked for. Where the system has no cap (not Linux), the stated sizes
are checked before anything runs.

Request, on stdin: an ``.npz`` archive (read with ``allow_pickle=False``) of ``header`` (JSON as
bytes: the budget in bytes, the threads, each model's optimisation switch, each run's model and
input names, and which model's sizes to check), ``model<i>`` (each model's serialized bytes) and
``feed<k>_<j>`` (run k's inputs). Answer, on stdout: an ``.npz`` of ``header`` (JSON: ``{"ok":
true, "outputs": [names per run]}``, or ``{"ok": false, "stage": "sizes", "over": {the value}}``,
``{"ok": false, "stage": "memory", "run": k, "node": ..., "op": ..., "asked": bytes}`` or
``{"ok": false, "stage": "load" | "run", "run": k, "message": onnxruntime's}``) and
``out<k>_<j>``. Only numbers and text cross: no pickle either way.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys

SLACK = 512 << 20  # onnxruntime's own thread stacks and allocator arenas, beside the budget
# initializers up to this many bytes keep their values for shape inference; larger ones, the
# weights, are given by their type and shape alone
_SMALL_BYTES = 64 << 10
EXIT_MEMORY = 3  # the answer itself could not be written within the cap
# how onnxruntime says that an allocation failed, and which node it was running
_ALLOCATION = re.compile(r"Failed to allocate memory for requested buffer of size (\d+)|"
                         r"bad_alloc|bad allocation|Cannot allocate memory")
_NODE = re.compile(r"running (\w+) node\. Name:'([^']*)'")


def _address_space() -> int:
    """The bytes of address space this process holds now (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap(budget: int) -> bool:
    """No more than ``budget`` bytes (and the slack) of address space from here on; False where
    the system has no such limit (not Linux): the sizes the file states are then checked before
    it runs, and the caller's timeout holds."""
    try:
        import resource

        held = _address_space()
        if not held:
            return False
        limit = held + budget + SLACK
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return True
    except (ImportError, ValueError, OSError):
        return False


def _failure(stage: str, run: int, exc: BaseException) -> dict:
    """The answer for onnxruntime's exception ``exc`` at ``stage`` of run ``run``: ``"memory"``
    with the node and the bytes it asked for where an allocation failed (at the cap), else
    onnxruntime's message."""
    text = str(exc)
    allocation = _ALLOCATION.search(text)
    if not isinstance(exc, MemoryError) and allocation is None:
        return {"ok": False, "stage": stage, "run": run, "message": text}
    node = _NODE.search(text)
    return {"ok": False, "stage": "memory", "run": run,
            "node": node.group(2) if node else None, "op": node.group(1) if node else None,
            "asked": int(allocation.group(1)) if allocation and allocation.group(1) else None}


def _answer(out, header: dict, arrays: dict) -> None:
    import numpy as np

    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(out, **arrays)  # streamed: no second copy of the results
    out.flush()


def _sizes(model: bytes, batches: list[int], most: int) -> dict | None:
    """The first input or node output (in the file's order) whose size, as shape inference with
    data propagation states it at one of ``batches`` (the inputs' first dimension), is over
    ``most`` bytes: ``{"batch", "node" (its index; -1 for an input), "name", "elem", "dims",
    "bytes"}``, or None. A file that inference cannot read, or runs out of memory on, states
    nothing: onnxruntime's own words stand."""
    import onnx

    light, inputs = _light(onnx, onnx.load_model_from_string(model))
    for batch in batches:
        for value in light.graph.input[:inputs]:
            if value.type.tensor_type.shape.dim:
                value.type.tensor_type.shape.dim[0].dim_value = batch
        try:
            inferred = onnx.shape_inference.infer_shapes(light, data_prop=True)
        except Exception:  # noqa: BLE001 - InferenceError, bad_alloc: nothing stated
            return None
        infos = {v.name: v for v in [*inferred.graph.value_info, *inferred.graph.output]}
        values = [(-1, v) for v in inferred.graph.input[:inputs]] + [
            (index, infos[name]) for index, node in enumerate(inferred.graph.node)
            for name in node.output if name in infos]
        for index, value in values:
            size = _bytes(onnx, value)
            if size is not None and size > most:
                kind = value.type.tensor_type
                return {"batch": batch, "node": index, "name": value.name,
                        "elem": kind.elem_type, "dims": [d.dim_value for d in kind.shape.dim],
                        "bytes": size}
    return None


def _light(onnx, model):
    """``model`` for shape inference, and how many inputs it has before its weights: its inputs,
    its nodes, its small initializers (a shape, a Range's bounds, a Resize's sizes keep their
    values); larger ones, the weights, become inputs of their type and shape, and the outputs
    keep their type alone (their batch is the run's, not one a file may fix)."""
    light = onnx.ModelProto()
    light.ir_version, light.domain = model.ir_version, model.domain
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph = light.graph
    graph.name = model.graph.name
    weights = {t.name for t in model.graph.initializer}
    graph.input.extend(v for v in model.graph.input if v.name not in weights)
    inputs = len(graph.input)
    graph.node.extend(model.graph.node)
    graph.output.extend(onnx.helper.make_tensor_value_info(v.name, v.type.tensor_type.elem_type,
                                                           None)
                        for v in model.graph.output if v.type.tensor_type.elem_type)
    for tensor in model.graph.initializer:
        if tensor.ByteSize() <= _SMALL_BYTES:
            graph.initializer.append(tensor)
        else:
            graph.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type,
                                                                  list(tensor.dims)))
    return light, inputs


def _bytes(onnx, value) -> int | None:
    """The bytes of a value whose element type and every dimension are stated; else None."""
    kind = value.type.tensor_type
    if not value.type.HasField("tensor_type") or not kind.HasField("shape"):
        return None
    try:
        item = onnx.helper.tensor_dtype_to_np_dtype(kind.elem_type).itemsize
    except (KeyError, ValueError, TypeError):
        return None
    elements = 1
    for dim in kind.shape.dim:
        if not dim.HasField("dim_value") or dim.dim_value < 0:
            return None
        elements *= dim.dim_value
    return elements * item


def _task(request) -> tuple[dict, dict]:
    """The answer to ``request``: its header, and the arrays it returns.

    Under the cap the runs go first: an ordinary file pays for no shape inference (nor for
    importing onnx), and a file over the budget fails at the cap without its value being made;
    where a run fails, the sizes of model ``header["sizes"]`` at the runs' batches say which
    value, with its shape, where the file states one over the budget. Without a cap they are
    checked before anything runs.
    """
    header = json.loads(request["header"].tobytes())
    models = [request[f"model{i}"].tobytes() for i in range(len(header["optimize"]))]
    runs = [{name: request[f"feed{k}_{j}"] for j, name in enumerate(run["inputs"])}
            for k, run in enumerate(header["runs"])]
    del request
    budget = int(header["budget"])
    batches = sorted({int(v.shape[0]) for feeds in runs for v in feeds.values() if v.ndim})
    checked = int(header["sizes"])
    if not _cap(budget):
        over = _stated(models[checked], batches, budget)
        if over is not None:
            return {"ok": False, "stage": "sizes", "over": over}, {}
    answer = _run(header, models, runs)
    if answer[0]["ok"]:
        return answer
    # at the cap, or at a limit of onnxruntime's own (a Tile of more than 4 GiB): a value the
    # file states over the budget is the reason to give
    answer[1].clear()  # the outputs so far: room for shape inference under the cap
    over = _stated(models[checked], batches, budget)
    return ({"ok": False, "stage": "sizes", "over": over}, {}) if over is not None else answer


def _stated(model: bytes, batches: list[int], budget: int) -> dict | None:
    """:func:`_sizes`, None where inference itself runs out of memory."""
    try:
        return _sizes(model, batches, budget)
    except MemoryError:
        return None


def _run(header: dict, models: list[bytes], runs: list[dict]) -> tuple[dict, dict]:
    """onnxruntime runs each of ``runs`` (a model's index and inputs) in order, the first
    failure ending all."""
    import numpy as np
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # a failure is said in the answer, not logged
    sessions = {}
    arrays, outputs = {}, []
    for k, (run, feeds) in enumerate(zip(header["runs"], runs)):
        index = run["model"]
        if index not in sessions:
            options = ort.SessionOptions()
            options.log_severity_level = 3  # the failure is said in the answer, not logged
            options.intra_op_num_threads = options.inter_op_num_threads = int(header["threads"])
            if not header["optimize"][index]:
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            try:
                sessions[index] = ort.InferenceSession(models[index], options,
                                                       providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - onnxruntime's reason, said by the caller
                return _failure("load", k, exc), arrays
        session = sessions[index]
        quiet = ort.RunOptions()
        quiet.log_severity_level = 3
        try:
            results = session.run(None, feeds, quiet)
            names = [o.name for o in session.get_outputs()]
            for j, value in enumerate(results):
                value = np.asarray(value)
                arrays[f"out{k}_{j}"] = value.astype(str) if value.dtype == object else value
        except Exception as exc:  # noqa: BLE001 - onnxruntime's reason, said by the caller
            return _failure("run", k, exc), arrays
        outputs.append(names)
    return {"ok": True, "outputs": outputs}, arrays


def main() -> int:
    # the answer goes to the stdout it was started with; whatever a library prints goes to
    # stderr, so that it cannot corrupt the answer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import numpy as np

    sent = io.BytesIO(sys.stdin.buffer.read())
    request = np.load(sent, allow_pickle=False)
    header, arrays = _task(request)
    try:
        _answer(out, header, arrays)
    except MemoryError:
        return EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main())
