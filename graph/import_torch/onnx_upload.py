"""An ONNX file that arrives as bytes (the designer's upload): read within budgets, then
imported as :func:`~.onnx_in.import_onnx` imports a file on disk.

An upload comes from anyone who can reach the app, so before any work that grows with it:

- its size is checked against ``LAYERLOOM_MAX_ONNX_BYTES`` (default 128 MiB) before it is
  parsed;
- its nodes (those of subgraphs and functions too) are counted against
  ``LAYERLOOM_MAX_ONNX_NODES`` (default 10,000; a Transformer of 12 layers has about 1,500)
  before the checker or onnxruntime sees them: the import runs every node, more than once;
- tensors kept in other files (ONNX's external data) are refused: their locations are paths
  on the server, and reading them would read the server's files, not the user's;
- onnxruntime runs it only in a child process capped at ``LAYERLOOM_MAX_ONNX_RUN_BYTES``
  (default 4 GiB, or half the machine's memory) and ``LAYERLOOM_MAX_ONNX_SECONDS`` (60):
  a node asking for more (a ``ConstantOfShape`` of [100000, 100000]) is refused, named, without
  its value being made (:mod:`.onnx_budget`), as for a file the CLI imports.

The file is a protobuf message parsed by the ``onnx`` package: nothing in it is unpickled or
run as code.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GraphError
from ..limits import budget, size_words

MAX_ONNX_BYTES = 128 * 2**20
MAX_ONNX_NODES = 10_000
BYTES_ENV = "LAYERLOOM_MAX_ONNX_BYTES"
NODES_ENV = "LAYERLOOM_MAX_ONNX_NODES"



def max_bytes() -> int:
    """The largest ONNX upload read, in bytes."""
    return budget(BYTES_ENV, MAX_ONNX_BYTES)


def read_onnx_bytes(data: bytes, file: str):
    """The checked ONNX model in ``data``, the bytes of the file called ``file``; a GraphError
    naming the file and the figure when it is over a budget, not ONNX, or keeps tensors in
    other files."""
    import onnx
    from google.protobuf.message import DecodeError

    most = max_bytes()
    if len(data) > most:
        raise GraphError(f"the file is {size_words(len(data))}; ONNX files are read up to "
                         f"{size_words(most)} (set {BYTES_ENV} to change it)", file=file)
    try:
        model = onnx.load_model_from_string(data)  # parses only: external data is not read
    except (DecodeError, ValueError, RuntimeError):
        model = None
    if model is None or not model.HasField("graph") or not model.graph.node:
        raise GraphError("not an ONNX model (it does not parse as one, or holds no nodes); "
                         "an ONNX file comes from torch.onnx.export or another exporter",
                         file=file)
    nodes, limit = count_nodes(model), budget(NODES_ENV, MAX_ONNX_NODES)
    if nodes > limit:
        raise GraphError(f"the model has {nodes:,} ONNX nodes; models of up to {limit:,} nodes "
                         f"are imported (set {NODES_ENV} to change it)", file=file)
    outside = external_tensors(model)
    if outside:
        more = f" (and {len(outside) - 1:,} more)" if len(outside) > 1 else ""
        raise GraphError(f"tensor '{outside[0]}'{more} is kept in another file (ONNX external "
                         f"data), which an upload cannot bring; save the model as one file: "
                         f"onnx.save(onnx.load('model.onnx'), 'one.onnx')", file=file)
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - ValidationError and kin: said in words
        raise GraphError(f"not a valid ONNX model: {str(exc).splitlines()[0]}", file=file) \
            from None
    return model


def import_onnx_bytes(data: bytes, file: str, *, name: str | None = None):
    """``(graph, state_dict, max abs diff)`` of the ONNX file ``file`` whose bytes are
    ``data`` (see :func:`~.onnx_in.import_onnx`); the graph is named ``name``, else after the
    file."""
    from .onnx_in import import_onnx_model

    file = Path(file).name
    return import_onnx_model(read_onnx_bytes(data, file), file, name=name or Path(file).stem)


def _graphs(model):
    """Every graph of ``model``: the main one, subgraphs of If/Loop/Scan nodes, and the nodes
    of its functions (as a graph-like holder of ``node``)."""
    todo = [model.graph, *model.functions]
    while todo:
        graph = todo.pop()
        yield graph
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("g"):
                    todo.append(attr.g)
                todo.extend(attr.graphs)


def count_nodes(model) -> int:
    """The nodes of ``model``, those of subgraphs and functions included."""
    return sum(len(graph.node) for graph in _graphs(model))


def external_tensors(model) -> list[str]:
    """The names of the tensors of ``model`` whose values are kept in another file."""
    import onnx

    def tensors(graph):
        yield from getattr(graph, "initializer", ())
        for sparse in getattr(graph, "sparse_initializer", ()):
            yield sparse.values
            yield sparse.indices
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors
                if attr.HasField("sparse_tensor"):
                    yield attr.sparse_tensor.values
                    yield attr.sparse_tensor.indices

    return [t.name or "(unnamed)" for graph in _graphs(model) for t in tensors(graph)
            if t.data_location == onnx.TensorProto.EXTERNAL or t.external_data]
