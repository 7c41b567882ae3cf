"""``compile_graph(graph)``: a valid graph becomes a ``torch.fx.GraphModule``.

The compiler walks the resolution validation already made (every node's params, repeats, input
and output shapes are known) and writes one fx graph per level: the main graph, and each copy of
a composite block as a GraphModule of its own. ``forward`` is straight-line code, one call per
node, so a compiled model runs as fast as the same model written by hand, and it traces, scripts
and compiles like one.

Submodules are named after node ids (``graph/naming.py``, shared with code generation), so
``state_dict`` keys read ``conv1.weight``, ``layer2.0.c1.weight``.

>>> from layerloom.graph import loads_graph
>>> g = loads_graph('''{"format": "layerloom-graph", "version": 1, "name": "tiny",
...     "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}},
...               {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
...               {"id": "y", "type": "Output"}],
...     "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}''')
>>> model = compile_graph(g)
>>> list(model.state_dict())
['fc.weight', 'fc.bias']
>>> model(torch.zeros(4, 3)).shape
torch.Size([4, 2])
"""

from __future__ import annotations

import operator
import types
from collections.abc import Mapping
from typing import Any

import torch
from torch import fx, nn

from .errors import GraphError
from .model import Graph
from .naming import class_name, node_names
from .resolve import Level, NodeInfo
from .summary import summarize
from .validate import validate

# Merge blocks are written as plain tensor operations (``a + b``, ``torch.cat``) rather than
# calls of the list-taking modules: they hold no weights, and the code reads like PyTorch.
MERGES = ("Add", "Multiply", "Concat")
# Blocks with several outputs that hold no weights are written as torch's own calls too
# (``torch.chunk``, ``torch.split``): their result is a tuple, one tensor per output port.
SPLITS = ("Chunk", "Split")


def compile_graph(graph: Graph | dict, variables: Mapping[str, Any] | None = None) -> nn.Module:
    """The PyTorch model of ``graph``; ``variables`` overrides the graph's own values.

    An invalid graph raises :class:`GraphError` listing its problems. The model carries its
    summary (params, shapes, MACs) as ``model.layerloom_summary``.
    """
    report = validate(graph, variables)
    report.raise_if_invalid()
    res = report.resolution
    summary = summarize(report)
    model = build_level(res.top, [n.id for n in res.graph.nodes], class_name(res.graph.name))
    model.layerloom_summary = summary
    return model


def build_level(level: Level, ids: list[str], cls: str) -> fx.GraphModule:
    """One level (the main graph or one copy of a composite) as a GraphModule.

    ``ids`` are the level's node ids in the order its definition lists them: they fix the names.
    """
    names = node_names(ids)
    root = nn.Module()
    g = fx.Graph()
    values: dict[str, fx.Node] = {}
    for node_id in ordered(level.inputs, ids):
        values[node_id] = g.placeholder(names[node_id], type_expr=torch.Tensor)
    picked: dict[tuple[str, int], fx.Node] = {}  # (node, port) -> its getitem, made once

    def pick(source: str, port: int | None) -> fx.Node:
        """The value a source gives: itself, or one output of a node with several."""
        if port is None:
            return values[source]
        if (source, port) not in picked:
            picked[source, port] = g.create_node(
                "call_function", operator.getitem, (values[source], port),
                name=f"{names[source]}_{port}")
        return picked[source, port]

    for node_id, info in level.nodes.items():
        if not info.used or info.type == "Input":
            continue
        args = [pick(source, port) for source, port in zip(info.inputs, ports_of(info))]
        if info.type == "Output" or info.repeat == 0:
            values[node_id] = args[0]  # an Output marks a result; repeat 0 passes through
            continue
        name = names[node_id]
        if info.spec is not None and info.type in MERGES:
            values[node_id] = merge(g, info, args, name)
            continue
        if info.spec is not None and info.type in SPLITS:
            function, how, dim = split_call(info)
            values[node_id] = g.create_node("call_function", function, (args[0], how),
                                            {"dim": dim}, name=name)
            continue
        module = node_module(info)
        if info.node.extra.get("trainable") is False:
            freeze(module)
        root.add_module(name, module)
        if info.spec is not None and info.spec.ports.kind == "variadic":
            args = [args]  # a list-taking block, as the block library's modules are
        if info.repeat > 1 and len(args) > 1:  # copies in turn, each given the mask too
            out = args[0]
            for i in range(info.repeat):
                out = g.create_node("call_module", f"{name}.{i}", (out, *args[1:]),
                                    name=name if i == info.repeat - 1 else f"{name}_{i}")
            values[node_id] = out
            continue
        values[node_id] = g.create_node("call_module", name, tuple(args), name=name)
    results = [values[o] for o in ordered(level.outputs, ids) if level.nodes[o].used]
    g.output(results[0] if len(results) == 1 else tuple(results))
    g.lint()
    return fx.GraphModule(root, g, class_name=cls)


def freeze(module: nn.Module) -> None:
    """A node marked ``"trainable": false``: its weights (a composite's, all of them inside)
    get no gradients, and the module is marked so that training keeps its norms' statistics
    (:func:`hold_frozen_norms`)."""
    for param in module.parameters():
        param.requires_grad_(False)
    module.layerloom_frozen = True


def _stay_eval(self: nn.Module, mode: bool = True) -> nn.Module:
    return nn.Module.train(self, False)


def hold_frozen_norms(model: nn.Module) -> int:
    """Keep the batch norms of frozen nodes in evaluation mode whatever ``train()`` says: they
    normalise with, and keep, their running statistics while the rest trains. How many."""
    held = 0
    for module in model.modules():
        if not getattr(module, "layerloom_frozen", False):
            continue
        for sub in module.modules():
            if isinstance(sub, nn.modules.batchnorm._BatchNorm) and "train" not in vars(sub):
                sub.train = types.MethodType(_stay_eval, sub)
                sub.eval()
                held += 1
    return held


def node_module(info: NodeInfo) -> nn.Module:
    """The module of one node: its block, a composite's GraphModule, or k copies of either."""
    if info.block is not None:
        ids = [n.id for n in info.block.nodes]
        copies = [build_level(level, ids, class_name(info.block.name)) for level in info.copies]
    else:
        copies = [build_layer(info, layer) for layer in info.copies]
    return copies[0] if len(copies) == 1 else nn.Sequential(*copies)


def build_layer(info: NodeInfo, layer) -> nn.Module:
    try:
        return info.spec.build(layer.params, layer.in_shapes)
    except Exception as exc:  # a block's build failed: say which node, not a torch traceback
        raise GraphError(f"{info.type} could not be built: {exc}", node=info.path) from exc


def merge(g: fx.Graph, info: NodeInfo, args: list[fx.Node], name: str) -> fx.Node:
    if info.type == "Concat":
        dim = build_layer(info, info.copies[0]).dim
        return g.create_node("call_function", torch.cat, (list(args),), {"dim": dim}, name=name)
    op = operator.add if info.type == "Add" else operator.mul
    out = args[0]
    for i, arg in enumerate(args[1:], start=2):
        out = g.create_node("call_function", op, (out, arg),
                            name=name if i == len(args) else None)
    return out


def ports_of(info: NodeInfo) -> list[int | None]:
    """Which output of each source ``info`` takes (None: a source with one output)."""
    return list(info.input_ports) or [None] * len(info.inputs)


def split_call(info: NodeInfo) -> tuple[Any, Any, int]:
    """``(torch.chunk, chunks, dim)`` or ``(torch.split, size or [sections], dim)`` of a Chunk
    or Split node, ``dim`` counting the batch."""
    layer = info.copies[0]
    p = layer.params
    dim = p["dim"] % len(layer.in_shapes[0]) + 1
    if info.type == "Chunk":
        return torch.chunk, p["chunks"], dim
    sizes = p["sizes"]
    return torch.split, (list(sizes) if isinstance(sizes, tuple) else sizes), dim


def ordered(subset: list[str], ids: list[str]) -> list[str]:
    """``subset`` in definition order."""
    members = set(subset)
    return [i for i in ids if i in members]
