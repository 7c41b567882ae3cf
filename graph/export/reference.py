"""What every export is checked against: the compiled model, its weights and sample inputs.

The model is compiled from the graph, given the weights (or fresh ones from a seed), put in
evaluation mode and run on inputs of two batch sizes: the exporters trace with one (``samples``)
and every written file is checked with the other (``checks``), which proves the batch dimension
stayed free; then at batch 1 (``single``), and at the other lengths of a sequence input the model
itself takes (``lengths``: an image's height and width too), which say what sizes the file takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..compile import compile_graph
from ..model import Graph
from ..naming import Namespace
from ..resolve import Resolution
from ..summary import Summary, summarize
from ..validate import validate
from .errors import ExportError
from .lengths import Length, find_lengths
from .verify import fit_problems

TRACE_BATCH, CHECK_BATCH = 2, 3


@dataclass
class InputSpec:
    id: str
    name: str  # a legal identifier: the ONNX input name and predict.py's argument
    shape: tuple[int, ...]  # without the batch
    dtype: str  # "float32" | "int64"
    vocab: int | None = None  # token ids stay below this (the smallest Embedding fed)


@dataclass
class Reference:
    graph: Graph
    model: nn.Module
    state_dict: dict[str, torch.Tensor]
    summary: Summary
    inputs: list[InputSpec]
    outputs: list[str]  # Output node ids, legal identifiers
    samples: list[torch.Tensor]
    checks: list[torch.Tensor]
    resolution: Resolution
    expected: list[torch.Tensor] = field(default_factory=list)
    data: str | None = None  # the dataset the weights were trained on, where known
    # how the inputs the weights were trained on were standardised (normalization.record)
    normalization: dict | None = None
    single: list[torch.Tensor] = field(default_factory=list)  # a batch of 1
    single_expected: list[torch.Tensor] = field(default_factory=list)
    lengths: list[Length] = field(default_factory=list)  # sequence lengths the model frees

    def run(self, model: Any, inputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        with torch.no_grad():
            out = model(*inputs)
        return list(out) if isinstance(out, (tuple, list)) else [out]


def prepare(graph: Graph, state_dict: Mapping[str, torch.Tensor] | None, *, seed: int = 0,
            sample_inputs: Any = None, variables: Mapping[str, Any] | None = None
            ) -> Reference:
    if variables:  # the written graph carries the values it was exported with
        graph = graph.copy()
        graph.variables.update(variables)
    report = validate(graph)
    report.raise_if_invalid()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = compile_graph(graph)
    if state_dict is not None:
        problem = fit_problems(model, dict(state_dict))
        if problem:
            raise ExportError("weights", f"the weights do not fit the graph: {problem}")
        model.load_state_dict(dict(state_dict), strict=True)
    model.eval()
    top = report.resolution.top
    ns = Namespace()
    inputs = []
    for node_id in top.inputs:
        info = top.nodes[node_id]
        inputs.append(InputSpec(node_id, ns.name(node_id), tuple(info.shape), info.dtype,
                                _vocab(top, node_id)))
    outputs = [ns.name(o) for o in top.outputs]
    samples = _random(inputs, TRACE_BATCH, seed)
    checks = _given(sample_inputs, inputs) if sample_inputs is not None \
        else _random(inputs, CHECK_BATCH, seed + 1)
    ref = Reference(graph, model, {k: v.detach().clone() for k, v in model.state_dict().items()},
                    summarize(report), inputs, outputs, samples, checks, report.resolution)
    ref.expected = ref.run(model, checks)
    ref.single = _random(inputs, 1, seed + 2)
    ref.single_expected = ref.run(model, ref.single)
    ref.lengths = find_lengths(model, inputs,
                               lambda sizes: _random(inputs, 1, seed + 3, sizes))
    return ref


def _vocab(top, input_id: str) -> int | None:
    sizes = [layer.params["num_embeddings"] for _, info, layer in top.leaves()
             if info.type == "Embedding" and input_id in info.inputs]
    return min(sizes) if sizes else (None if top.nodes[input_id].dtype != "int64" else 2)


def _random(inputs: list[InputSpec], batch: int, seed: int,
            lengths: Mapping[int, Mapping[int, int]] | None = None) -> list[torch.Tensor]:
    """Random inputs; ``lengths[i] == {axis: n}`` makes input ``i``'s ``axis`` ``n`` long."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for i, spec in enumerate(inputs):
        shape = list(spec.shape)
        for axis, n in (lengths or {}).get(i, {}).items():
            shape[axis] = n
        if spec.dtype == "int64":
            out.append(torch.randint(0, spec.vocab or 2, (batch, *shape),
                                     generator=generator))
        else:
            out.append(torch.randn((batch, *shape), generator=generator))
    return out


def _given(sample_inputs: Any, inputs: list[InputSpec]) -> list[torch.Tensor]:
    items = list(sample_inputs) if isinstance(sample_inputs, (list, tuple)) else [sample_inputs]
    if len(items) != len(inputs):
        raise ExportError("inputs", f"{len(items)} sample input(s) given, the graph takes "
                                    f"{len(inputs)}")
    out = []
    for item, spec in zip(items, inputs):
        tensor = torch.as_tensor(item)
        if tuple(tensor.shape[1:]) != spec.shape:
            raise ExportError("inputs", f"sample input for {spec.id} has shape "
                                        f"{list(tensor.shape)}; expected [batch, "
                                        f"{', '.join(map(str, spec.shape))}]")
        out.append(tensor.to(torch.int64 if spec.dtype == "int64" else torch.float32))
    return out
