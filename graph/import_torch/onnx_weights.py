"""What an ONNX file leaves unsaid about how its weights train, checked on import.

A layer called twice (a Siamese encoder on two inputs) is written with one initializer feeding
two nodes; each LayerLoom block has weights of its own, so it would import as two layers that
train apart: refused, as ``import-torch`` refuses the module. The exporter also writes one
initializer for weights of different layers that are equal when exported (fresh copies of one
layer, norms still at ones and zeros), so only nodes of one module share knowingly: the module
is read from the node's name (``/enc/enc.0_1/Conv``: the second call of ``enc.0``) or the
dynamo exporter's ``pkg.torch.onnx.name_scopes``.

A constant added to or multiplying a value (a positional table, a layer scale) imports as a
learned table, yet the file does not say whether the model learned it or kept it fixed in a
buffer: a :class:`~.training.TrainsDifferently` warning says so.
"""

from __future__ import annotations

import ast
import re
import warnings

import numpy as np

from ..errors import GraphError
from ..model import Graph
from ..naming import node_names
from .training import TrainsDifferently

_FLOATS = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
# ops that take a weight whole (a Slice takes a part: the dynamo exporter slices an LSTM's
# weights into its gates, one Slice each, all of one layer)
_WEIGHT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
               "LayerNormalization", "InstanceNormalization", "GroupNormalization", "Gather",
               "PRelu", "LSTM", "GRU", "RNN", "Add", "Mul", "Expand"}
_SHOWN = 4


def refuse_shared_layers(model, file: str) -> None:
    """GraphError naming the initializer and the nodes where one module of the exported model
    is called more than once with its weights (initializers of one value, such as a norm's
    ones, are left alone: the exporter writes equal fresh weights once)."""
    from onnx import numpy_helper

    weights = {t.name: t for t in model.graph.initializer if t.data_type in _FLOATS}
    constant = set(weights) | {""}
    for node in model.graph.node:  # values computed from constants alone (folded shapes)
        if all(name in constant for name in node.input):
            constant.update(node.output)
    users: dict[str, list] = {}
    for node in model.graph.node:
        if node.op_type not in _WEIGHT_OPS or all(name in constant for name in node.input):
            continue  # a part of the weight, or a constant computed from it
        for name in dict.fromkeys(node.input):
            if name in weights:
                users.setdefault(name, []).append(node)
    for name, nodes in users.items():
        if len(nodes) < 2:
            continue
        value = numpy_helper.to_array(weights[name])
        if value.size < 2 or np.all(value == value.reshape(-1)[0]):
            continue
        modules = {_module_of(n) for n in nodes}
        if len(modules) != 1 or None in modules:
            continue
        shown = ", ".join(n.name for n in nodes[:_SHOWN]) + (" …" if len(nodes) > _SHOWN else "")
        raise GraphError(
            f"{file}: the initializer '{name}' is the weight of {len(nodes)} nodes of one layer "
            f"({shown}): the layer is called {len(nodes)} times, sharing its weights (a "
            f"Siamese encoder on two inputs, a block applied twice); each LayerLoom block has "
            f"weights of its own, so it would import as {len(nodes)} layers that train apart")


def _module_of(node) -> str | None:
    """The module of the exported model whose call made ``node`` (``enc.0`` for the nodes
    of both calls of ``enc.0``), or None where the file does not say."""
    meta = {p.key: p.value for p in node.metadata_props}
    if "pkg.torch.onnx.name_scopes" in meta:  # the dynamo exporter: ['', 'enc', 'enc.0', 'conv2d']
        try:
            scopes = ast.literal_eval(meta["pkg.torch.onnx.name_scopes"])
        except (ValueError, SyntaxError):
            scopes = None
        if isinstance(scopes, list) and len(scopes) >= 2:
            return str(scopes[-2])
    parts = [p for p in node.name.split("/") if p]  # TorchScript's: /enc/enc.0_1/Conv
    if len(parts) < 2:
        return None
    return "/".join(re.sub(r"_\d+$", "", p) for p in parts[:-1])


def say_constants_learn(graph: Graph, weights: dict, constants: set[str]) -> None:
    """Warn about the nodes whose weights are the file's constants outside layers (``constants``:
    the module's attributes holding them) other than a class token: they import trainable."""
    names = node_names([n.id for n in graph.nodes])
    by_attribute = {names[n.id]: n for n in graph.nodes}
    found = sorted({by_attribute[key.split(".")[0]].id for key, source in weights.items()
                    if source in constants and key.split(".")[0] in by_attribute})
    types = {n.id: n.type for n in graph.nodes}
    found = [f"{i} ({types[i]})" for i in found if types[i] != "ClassToken"]
    if found:
        one = len(found) == 1
        warnings.warn(
            f"{', '.join(found)} {'imports' if one else 'import'} trainable: "
            f"{'its table is a constant' if one else 'their tables are constants'} of the "
            f"file, and an ONNX file does not say whether the model learned "
            f"{'it (a parameter)' if one else 'them (parameters)'} or kept "
            f"{'it' if one else 'them'} fixed (a buffer, such as a sinusoidal positional "
            f"table); if it was fixed, set \"trainable\": false on the "
            f"{'node' if one else 'nodes'}", TrainsDifferently, stacklevel=2)
