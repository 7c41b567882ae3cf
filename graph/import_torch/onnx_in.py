"""ONNX in: an ONNX file becomes a LayerLoom graph through the torch importer.

Each ONNX node of the standard operator set becomes a ``torch.nn`` module (with the file's
weights) or a torch function inside :class:`OnnxModule`, a module that runs the ONNX graph in
order; ``torch.fx`` traces it like any model, so the same rules, weight mapping and checks apply.
Nothing is unpickled: an ONNX file is a protobuf message, read with the ``onnx`` package.

Values computed from constants and tensor shapes only (``Shape → Gather → Concat``…) are
folded: onnxruntime runs the file at two batch sizes with every value exposed, and a value that
is the same at both is a constant; one that follows the batch (an LSTM's zero initial state, a
``Reshape`` to ``[batch, -1]``) is kept only where it means "the batch" (the first dimension of
a Reshape, an initial state of zeros). Subgraphs that the exporter writes for one PyTorch layer
become that layer again, recognised by their structure and checked by their values on those
runs: an ONNX ``LSTM``/``GRU``/``RNN`` with its transposes (``output`` 'sequence' or 'last'),
``MatMul → Softmax → MatMul`` with its projections (``nn.MultiheadAttention``), LayerNorm written
out as ``ReduceMean``/``Sub``/``Pow``/``Sqrt``/``Div`` (before opset 17), GELU written out with
``Erf`` (before opset 20) or with ``Tanh`` (``approximate="tanh"``), GroupNorm written as ``Reshape`` to groups, ``InstanceNormalization``,
``Reshape`` back, scale ``Mul`` and shift ``Add``, ``MatMul`` by a weight with its bias ``Add``
(``nn.Linear`` on a sequence; so is a ``Gemm`` between a ``Reshape`` of the batch and steps
into one and one back), a learned token ``Expand``-ed over the batch (a class token), attention
with a causal mask (``F.scaled_dot_product_attention``, :mod:`.onnx_causal`; a mask keeping every
position is none, :mod:`.onnx_masks`). Token ids of one type made from an input's size are that
input's ``zeros_like`` (:mod:`.onnx_token_types`), so that BERT's token types import.
``Mul``/``Add``/``Sub``/``Div`` of a computed value and one constant number, and ``Neg``, are each
a Rescaling (``x * scale + offset``); ``Sub``/``Div`` by a constant holding one value per channel
a Normalize (a Sub and its Div one block), ``Clip`` to two bounds a Hardtanh. A ``MatMul`` of
two computed values is a MatMul block (so is attention without projections, one node at a
time); ``LayerNormalization`` from any axis after the batch a LayerNorm over those dimensions; a
``Conv`` with ``auto_pad=SAME_UPPER`` and stride 1 PyTorch's ``padding="same"``. After the import, the
blocks of one ``nn.TransformerEncoderLayer`` become that block again (:func:`_encoder_layers`).
Where a value must keep the batch first and does not, the node is named; so is every node no
block does, or does in the form the file has (its op and why, in one line: never Python's own
error), checked before the trace by running each node's function on onnxruntime's values.

Opsets: the files of the TorchScript exporter at opsets 13 to 20 are tested (a Transformer needs
14: scaled dot-product attention), and the dynamo exporter's at 18; 7 to 21 are accepted.

Why not ``onnx2torch``: it imports torchvision (its NMS and RoIAlign converters), which does not
import beside the CPU build of torch, and it would add torchvision as a dependency.
"""

from __future__ import annotations

import copy
import itertools
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GraphError
from ..modules import LayerNorm2d, Recurrent
from ..naming import node_names
from .modules import float32_decimal, rule
from .onnx_budget import OverBudget
from .onnx_budget import node_label as _label
from .onnx_causal import causal_attention
from .onnx_masks import mask_kind, nan_guard, padding_of, sources
from .onnx_runner import OrtFailure, refuse_large_inputs, run_onnx
from .onnx_scopes import dynamo_scope, short_names
from .trace import FREE_SIZES
from .onnx_token_types import one_type_ids
from .output_match import match_outputs

_DTYPES = {1: "float32", 7: "int64"}
# names a traced module's attributes must not take (torch.fx's GraphModule has them)
_RESERVED = set(dir(torch.fx.GraphModule)) | {"graph", "code", "forward", "run", "const"}
OPSETS = range(7, 22)


def read_onnx(path: str | Path):
    """The checked ONNX model of ``path`` (GraphError naming the file when it is not one)."""
    import onnx

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except FileNotFoundError:
        raise GraphError(f"no ONNX file {path}") from None
    except Exception as exc:  # noqa: BLE001 - DecodeError, ValidationError: say it in words
        raise GraphError(f"{path} is not a valid ONNX model: {str(exc).splitlines()[0]}") \
            from None
    return model


def run_batches(model) -> list[int]:
    """The batches the import runs ``model`` at: the probes' and the check's 2 and 3, and
    where the file fixes its batch, that batch and twice it (:func:`free_batch`)."""
    weights = {t.name for t in model.graph.initializer}
    fixed = [v.type.tensor_type.shape.dim[0].dim_value for v in model.graph.input
             if v.name not in weights and v.type.tensor_type.shape.dim
             and v.type.tensor_type.shape.dim[0].HasField("dim_value")]
    return sorted({*_PROBE_BATCHES, *(b for f in fixed[:1] for b in (f, 2 * f))})


def free_batch(model, file: str):
    """``model`` with a batch of any size where the file fixes it (``torch.onnx.export``
    without ``dynamic_axes`` writes every input and output with a batch of 1): dimension 0 of
    the inputs and outputs made symbolic, the shapes recorded inside dropped, kept where
    onnxruntime runs it on a batch of 2 with each sample's result as on its own. A GraphError
    saying how to re-export where it does not (a Reshape to a constant [1, ...], say)."""
    import onnx

    weights = {t.name for t in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in weights]
    fixed = [v for v in inputs if v.type.tensor_type.shape.dim
             and v.type.tensor_type.shape.dim[0].HasField("dim_value")]
    if not fixed:
        return model
    batch = fixed[0].type.tensor_type.shape.dim[0].dim_value
    freed = onnx.ModelProto()
    freed.CopyFrom(model)
    for value in [*freed.graph.input, *freed.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if value.name not in weights and dims and dims[0].HasField("dim_value") \
                and dims[0].dim_value == batch:
            dims[0].dim_param = "batch"
    del freed.graph.value_info[:]
    shown = ", ".join(f"input '{v.name}' has shape {_dims(v)}" for v in fixed)
    outputs = [o.name for o in model.graph.output]
    axes = ", ".join(f"{name!r}: {{0: 'batch'}}" for name in [v.name for v in inputs] + outputs)
    fix = (f"re-export with torch.onnx.export(..., input_names={[v.name for v in inputs]}, "
           f"output_names={outputs}, dynamic_axes={{{axes}}})")
    try:
        _same_per_sample(model, freed, inputs, batch, file)
    except OverBudget:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime's reason, or ours: said in full
        reason = _ort_text(exc) if not isinstance(exc, GraphError) else str(exc)
        raise GraphError(f"{file}: the file was exported with a fixed batch of {batch} ({shown}) "
                         f"and does not run on other batches ({reason}); {fix}") from exc
    return freed


def _dims(value) -> list:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value.type.tensor_type.shape.dim]


def _same_per_sample(model, freed, inputs, batch: int, file: str) -> None:
    """onnxruntime runs ``freed`` on two batches of ``batch`` samples joined, and each half of
    its results is what ``model`` gives on that half alone; GraphError or onnxruntime's
    exception when not."""
    generator = np.random.default_rng(0)
    halves = []
    for _ in range(2):
        feeds = {}
        for value in inputs:
            elem = value.type.tensor_type.elem_type
            shape = [batch, *_dims(value)[1:]]
            feeds[value.name] = generator.integers(0, id_bound(value.name), shape) \
                .astype(np.int64) \
                if _DTYPES.get(elem) == "int64" else \
                generator.standard_normal(shape).astype(np.float32)
        halves.append(feeds)
    joined = {k: np.concatenate([h[k] for h in halves]) for k in halves[0]}
    results = run_onnx([(model, True), (freed, True)], [(1, joined), *((0, h) for h in halves)],
                       file, sizes=1)
    together, *apart = [list(outputs.values()) for outputs in results]
    for i, got in enumerate(together):
        want = np.concatenate([a[i] for a in apart]) if np.ndim(apart[0][i]) else None
        if want is None or got.shape != want.shape or not np.allclose(got, want, atol=1e-5,
                                                                     rtol=1e-4):
            raise GraphError(f"output {i} on a batch of {2 * batch} is not each sample's "
                             f"result on its own")


def id_bound(name: str) -> int:
    """The bound of the random int64 values the import gives the input ``name``: token ids 0-4,
    and 0 or 1 for an input named as a mask (Hugging Face's ``attention_mask``), as the model
    is given it: BERT's ``(1.0 - attention_mask) * min`` of a 2 is no mask but a bias.

    >>> id_bound("input_ids"), id_bound("attention_mask")
    (5, 2)
    """
    return 2 if "mask" in name.lower() else 5


def onnx_inputs(model) -> tuple[list[tuple[int, ...]], list[str]]:
    """Each graph input's shape without the batch, and its dtype (float32 or int64)."""
    weights = {t.name for t in model.graph.initializer}
    shapes, dtypes = [], []
    for value in model.graph.input:
        if value.name in weights:
            continue
        kind = value.type.tensor_type
        if kind.elem_type not in _DTYPES:
            raise GraphError(f"input '{value.name}' has ONNX element type {kind.elem_type}; "
                             f"float32 and int64 inputs import")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in kind.shape.dim]
        ids = len(dims) == 1 and _DTYPES[kind.elem_type] == "int64"  # a class id per sample
        if len(dims) < 2 and not ids or any(d is None or d < 1 for d in dims[1:]):
            raise GraphError(f"input '{value.name}' has shape {dims}: the sizes after the batch "
                             f"must be fixed numbers")
        shapes.append(tuple(dims[1:]))
        dtypes.append(_DTYPES[kind.elem_type])
    return shapes, dtypes


class OnnxModule(nn.Module):
    """Runs an ONNX graph's nodes in order with torch modules and functions."""

    def __init__(self, model, file: str | None = None, other=None,
                 sizes: dict[str, tuple[int, int]] | None = None):
        """``other``: ``model`` at another length of its inputs' free lengths
        (:mod:`.onnx_free_lengths`), whose values show which of those the length computes;
        ``sizes``: each free length's variable, and its length in ``model`` and in ``other``."""
        super().__init__()
        self.free_sizes = sizes or {}
        # the variables a Reshape's sizes may name, at the length the import runs at
        self.design_variables = {name: pair[0] for name, pair in self.free_sizes.items()}
        self.size_expressions: dict[str, list[str | None]] = {}  # a Reshape target's, by name
        from onnx import numpy_helper

        self.layers: dict[str, str] = {}  # ONNX node key -> attribute holding its module
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.opset = opset
        if opset not in OPSETS:
            raise GraphError(f"ONNX opset {opset}; opsets {OPSETS[0]}–{OPSETS[-1]} import")
        self.consts: dict[str, Any] = {t.name: numpy_helper.to_array(t)
                                       for t in model.graph.initializer}
        weights = set(self.consts)
        self.initializers = frozenset(weights)
        self.input_names = [v.name for v in model.graph.input if v.name not in weights]
        self.output_names = [v.name for v in model.graph.output]
        self.steps: list[tuple[str, str, list[str], list[str], dict]] = []
        self.function_keys: set[str] = set()  # steps that call a function, not a module
        self.nodes = list(model.graph.node)
        # the dynamo exporter's module path of each node, named by its shortest unique tail
        self.scopes = {i: s for i, n in enumerate(self.nodes) if (s := dynamo_scope(n)) is not None}
        self.scope_names = short_names(self.scopes.values())
        for index, node in enumerate(self.nodes):
            if node.domain not in ("", "ai.onnx"):
                raise GraphError(f"ONNX node {_label(node, index)} ({node.domain}."
                                 f"{node.op_type}): only the standard operator set imports")
        shapes, dtypes = onnx_inputs(model)
        self.probes, self.checked, self.at_other = _probes(model, shapes, dtypes,
                                                           _PROBE_BATCHES, file, other)
        self.lengthdep: dict[str, np.ndarray] = {}  # known values that follow the length
        self.length_held: list[str] = []  # nodes given such a value as a constant
        self.batchdep: dict[str, tuple[np.ndarray, ...]] = {}  # values that follow the batch
        # constant -> (parameter, the index of its rows used: a table cut to the length)
        self.attr_of: dict[str, tuple[str, tuple[slice, ...] | None]] = {}
        self._fold(weights)
        self.producer = {o: i for i, n in enumerate(self.nodes) for o in n.output if o}
        self.consumers: dict[str, list[int]] = {}
        for i, n in enumerate(self.nodes):
            for name in n.input:
                if name and self.runtime(name) and not self.known_node(i):
                    self.consumers.setdefault(name, []).append(i)
        self.claimed: dict[int, str] = {}  # node index -> key of the region that replaces it
        self.region_at: dict[int, tuple[str, list[str], str, str]] = {}
        self.padding_masks: set[str] = set()  # masks on scores that attention blocks replace
        self.padding_of: dict[str, str] = {}  # "<input>::padding" -> the input
        for finder in (self._recurrent, self._attention, self._layernorm, self._gelu,
                       self._gelu_tanh, self._groupnorm, self._causal, self._flat_linear,
                       self._linear):
            for index, node in enumerate(self.nodes):
                if index not in self.claimed and not self.known_node(index):
                    try:
                        finder(index, node)
                    except GraphError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - an attribute that does not fit
                        raise GraphError(_named(f"ONNX node {_label(node, index)} "
                                                f"({node.op_type})", exc)) from None
        self.origin: dict[str, str] = {}  # step key -> the ONNX node, as a user finds it
        self.step_scope: dict[str, str] = {}  # step key -> the block name of its module
        unused = self._unused_masks()
        for name, source in self.padding_of.items():  # source == 0: a PaddingMask
            key = f"padding_mask_{len(self.steps)}"
            self.function_keys.add(key)
            self.consts[f"{name}::zero"] = np.array(0, dtype=np.int64)
            self.steps.append(("Equal", key, [source, f"{name}::zero"], [name], {}))
            self.origin[key] = f"the padding mask of the input '{source}'"
        for index, node in enumerate(self.nodes):
            if index in unused:
                continue
            if index in self.region_at:
                key, entries, exit_name, call = self.region_at[index]
                self.steps.append(("Region", key, entries, [exit_name], {"_call": call}))
            elif any(o in self.token_ids for o in node.output):
                source, type_id = self.token_ids[node.output[0]]
                key = self._key(node, index)
                self.function_keys.add(key)
                self.steps.append(("TokenIds", key, [source], [node.output[0]],
                                   {"_type": type_id}))
            elif index in self.claimed or self.known_node(index):
                continue
            else:
                self._step(index, node)
            if self.steps and self.steps[-1][1] not in self.origin:
                self.origin[self.steps[-1][1]] = f"ONNX node {_label(node, index)} " \
                                                 f"({node.op_type})"
                if index in self.scopes:
                    self.step_scope[self.steps[-1][1]] = self._scope_name(index)

    # -- what is known before the model runs ----------------------------------------------------

    def _fold(self, weights: set[str]) -> None:
        """Every value computed from constants and shapes only becomes a constant (the same
        at both probe batches) or a value that follows the batch (:attr:`batchdep`)."""
        known = set(weights) | {""}
        self.known: set[str] = set()
        for node in self.nodes:
            if node.op_type in _SHAPE_OPS or node.op_type not in _RANDOM and \
                    all(i in known for i in [*node.input, *_outer_names(node)]):
                known.update(o for o in node.output if o)
                self.known.update(o for o in node.output if o)
        for name in self.known:
            values = [p.get(name) for p in self.probes]
            if any(v is None for v in values):
                continue
            if all(v.shape == values[0].shape and np.array_equal(v, values[0])
                   for v in values[1:]):
                self.consts[name] = values[0]
            else:
                self.batchdep[name] = tuple(values)
            other = self.at_other.get(name)
            if other is not None and not (other.shape == values[-1].shape
                                          and np.array_equal(other, values[-1])):
                self.lengthdep[name] = other  # held at this length, unless a step frees it
        expanded: set[str] = set()
        for node in self.nodes:  # a learned token expanded over the batch: computed, kept
            if node.op_type == "Expand" and node.output[0] in self.batchdep and \
                    node.input[0] in weights and self._batch_first(node.output[0]) and \
                    np.issubdtype(np.asarray(self.consts[node.input[0]]).dtype, np.floating):
                del self.batchdep[node.output[0]]
                self.known.discard(node.output[0])
                expanded.add(node.output[0])
            elif node.op_type not in _SHAPE_OPS and any(i in expanded for i in node.input):
                # computed from it in turn: einops' repeat(cls, '1 1 d -> b 1 d') reshapes it
                for out in (o for o in node.output if o in self.known):
                    self.known.discard(out)
                    self.batchdep.pop(out, None)
                    expanded.add(out)
        # ids of one token type looked up in a table: made from the value they are sized from
        self.token_ids = one_type_ids(self, weights)
        unknown = set(self.token_ids)
        for node in self.nodes:
            if any(o in unknown for o in node.output) or any(i in unknown for i in node.input):
                for out in (o for o in node.output if o in self.known):
                    self.known.discard(out)
                    self.batchdep.pop(out, None)
                    unknown.add(out)

    def known_node(self, index: int) -> bool:
        outs = [o for o in self.nodes[index].output if o]
        return bool(outs) and all(o in self.known for o in outs)

    def runtime(self, name: str) -> bool:
        return bool(name) and name not in self.consts and name not in self.batchdep

    def _batch_first(self, name: str, rank: int | None = None) -> bool:
        """The value's first dimension is the batch at both probes (and it has ``rank``)."""
        shapes = [p[name].shape for p in self.probes if name in p]
        if len(shapes) != len(self.probes):
            return False
        return all(len(s) > 0 and s[0] == b and s[1:] == shapes[0][1:] and
                   (rank is None or len(s) == rank) for s, b in zip(shapes, _PROBE_BATCHES))

    # -- one node, one step ---------------------------------------------------------------------

    def _step(self, index: int, node) -> None:
        attrs = {a.name: _attr(a) for a in node.attribute}
        probe = self.probes[-1]
        attrs["_rank"] = probe[node.input[0]].ndim if node.input and node.input[0] in probe \
            else None
        attrs["_shape"] = tuple(probe[node.input[0]].shape) if attrs["_rank"] is not None \
            else None
        inputs = list(node.input)
        for position, name in enumerate(inputs):
            if node.op_type == "Reshape" and position == 1 and name in self.lengthdep and \
                    name not in self.batchdep:
                inputs[1] = self._free_length(index, node, name,
                                              self.consts[name].reshape(-1).tolist())
                continue
            if name in self.lengthdep and not (node.op_type == "Reshape" and position == 1):
                self.length_held.append(f"ONNX node {_label(node, index)} ({node.op_type})")
            if name in self.batchdep:
                if node.op_type == "Expand" and position == 1 and node.input[0] in self.consts:
                    continue  # a learned token over the batch: below
                if node.op_type == "Reshape" and position == 1:
                    inputs[1] = self._batch_shape(index, node, name)
                    continue
                if node.op_type == "Resize" and position == 3:  # sizes [batch, C, H', W']
                    self._sizes_of_itself(index, node)
                    inputs[2:4] = [self._resize_scales(index, node), ""]
                    continue
                raise GraphError(f"ONNX node {_label(node, index)} ({node.op_type}): its input "
                                 f"'{name}' is computed from the batch size (Shape → …); no "
                                 f"block takes a value that follows the batch there")
        if node.op_type == "Reshape" and inputs[1] in self.size_expressions:
            attrs["_free"] = self.size_expressions[inputs[1]]  # the trace's node carries them
        if self._rescaling(index, node, inputs) or self._normalizing(index, node, inputs):
            return
        if node.op_type in ("Add", "Mul") and len(inputs) == 2 and \
                sum(self.runtime(n) for n in inputs) == 1:
            for name in inputs:
                if not self.runtime(name):
                    scope = self._scope_name(index) if index in self.scopes else None
                    self._constant_parameter(name, scope or self._key(node, index),
                                             "positions" if node.op_type == "Add" else "scale")
        if node.op_type == "Expand" and inputs[0] in self.consts and \
                node.input[1] in self.batchdep:
            self._constant_parameter(inputs[0], self._key(node, index))
            self._batch_shape(index, node, node.input[1], what="Expand")  # batch first only
            attrs["_sizes"] = [-1] + [int(d) for d in probe[node.output[0]].shape[1:]]
            inputs = [inputs[0], self.input_names[0]]
        if node.op_type == "Split":
            attrs["_sizes"] = [int(self.probes[-1][o].shape[int(attrs.get("axis", 0))])
                               for o in node.output]
        for out in node.output:
            if out and out in probe and not self._batch_first(out):
                what = "merges the batch with another dimension" if node.op_type in \
                    ("Reshape", "Flatten") else "gives one value for the whole batch" \
                    if probe[out].ndim == 0 else "moves or merges the batch"
                raise GraphError(f"ONNX node {_label(node, index)} ({node.op_type}): its output "
                                 f"{list(probe[out].shape)} (batch {_PROBE_BATCHES[-1]}) does not "
                                 f"keep the batch as its first dimension (it {what}); no block "
                                 f"does that")
        if node.op_type in ("Squeeze", "Unsqueeze") and node.output[0] in probe:
            attrs["_sizes"] = [int(d) for d in probe[node.output[0]].shape[1:]]
        if node.op_type in ("Squeeze", "Reshape") and node.output[0] in probe and \
                probe[node.output[0]].ndim == 1:
            raise GraphError(f"ONNX node {_label(node, index)} ({node.op_type}): its output "
                             f"is one number per sample ([batch]); no block drops the last "
                             f"dimension (keep it: [batch, 1])")
        where = f"ONNX node {_label(node, index)} ({node.op_type})"
        rank = attrs["_rank"]
        if node.op_type in ("Softmax", "LogSoftmax") and self.opset < 13 and rank and \
                attrs.get("axis", 1) % rank != rank - 1:
            raise GraphError(f"{where}: before opset 13 it normalises over every dimension from "
                             f"axis {attrs.get('axis', 1)} of a {rank}-D value together; no block "
                             f"does that (a softmax over one dimension maps)")
        if node.op_type == "HardSigmoid" and (abs(attrs.get("alpha", 0.2) - 1 / 6) > 1e-6 or
                                              abs(attrs.get("beta", 0.5) - 0.5) > 1e-6):
            raise GraphError(f"{where}: alpha {attrs.get('alpha', 0.2):.4g} and beta "
                             f"{attrs.get('beta', 0.5):.4g} (PyTorch's Hardsigmoid, the block, "
                             f"is alpha 1/6, beta 0.5)")
        if node.op_type == "Cast" and node.input[0] in probe and node.output[0] in probe and \
                probe[node.input[0]].dtype != probe[node.output[0]].dtype and not (
                    probe[node.input[0]].dtype == np.bool_
                    and probe[node.output[0]].dtype == np.int64):  # a PaddingMask's 0 and 1
            raise GraphError(f"{where}: it converts {probe[node.input[0]].dtype} to "
                             f"{probe[node.output[0]].dtype}; no block converts a value's type "
                             f"(token ids go into an Embedding)")
        if node.op_type in ("Add", "Mul") and len(inputs) == 2 and \
                sum(self.runtime(n) for n in inputs) == 1:
            self._check_constant_operand(node, inputs, where)
        key = self._key(node, index)
        make = _MODULES.get(node.op_type)
        if make is not None:
            try:
                module = make(self, inputs, attrs)
                if module is not None:
                    self.add_module(key, module)
                    self.layers[key] = key
            except Exception as exc:  # noqa: BLE001 - a shape or attribute that does not fit
                raise GraphError(_named(where, exc)) from None
        if key not in self.layers and node.op_type not in _FUNCTIONS:
            raise GraphError(f"{where}: no LayerLoom "
                             f"block does {node.op_type}{_WHY.get(node.op_type, '')}")
        if key not in self.layers:  # the function on the values onnxruntime computed
            env = {n: torch.as_tensor(probe[n]) for n in inputs if self.runtime(n) and n in probe}
            try:
                with torch.no_grad():
                    _FUNCTIONS[node.op_type]([self._value(n, env) for n in inputs], attrs)
            except Exception as exc:  # noqa: BLE001 - an attribute or a shape that does not fit
                raise GraphError(_named(where, exc)) from None
        if key not in self.layers:
            self.function_keys.add(key)
        self.steps.append((node.op_type, key, inputs, list(node.output), attrs))

    def _rescaling(self, index: int, node, inputs: list[str]) -> bool:
        """``Mul``/``Add``/``Sub``/``Div`` of a computed value and one constant number (shape
        ``[]``, ``[1]``, ``[1, 1, 1]``…, no more dimensions than the value's), and ``Neg``: a Rescaling (``x * scale + offset``), one per node.
        A number divided by a value (``c / x``) is not one. True when ``node`` became one."""
        from ..modules import Rescaling

        op = node.op_type
        if op == "Neg" and len(inputs) == 1 and self.runtime(inputs[0]):
            x, scale, offset = inputs[0], -1.0, 0.0
        elif op in ("Add", "Mul", "Sub", "Div") and len(inputs) == 2 and \
                sum(self.runtime(n) for n in inputs) == 1:
            first = self.runtime(inputs[0])
            x, c = (inputs[0], inputs[1]) if first else (inputs[1], inputs[0])
            value = self.consts.get(c)
            # one number, of any rank the value has too (a Normalize's std of one number is
            # [1, 1, 1]): broadcasting it changes no shape; of one channel's [1, 1, 1] it is a
            # Normalize's own (below)
            shape = self.probes[-1][x].shape if x in self.probes[-1] else (0,)
            if value is None or np.asarray(value).size != 1 or np.asarray(value).ndim > 1 and (
                    np.asarray(value).ndim > len(shape) or len(shape) < 2 or shape[1] == 1) \
                    or not np.issubdtype(np.asarray(value).dtype, np.number):
                return False
            number = float(np.asarray(value).reshape(-1)[0])
            if op == "Div" and (not first or number == 0.0):
                return False
            scale, offset = {"Mul": (number, 0.0), "Add": (1.0, number),
                             "Sub": (1.0, -number) if first else (-1.0, number),
                             "Div": (1.0 / number if number else 0.0, 0.0)}[op]
        else:
            return False
        probe = self.probes[-1]
        if x not in probe or not np.issubdtype(probe[x].dtype, np.floating) or \
                node.output[0] not in probe or \
                not np.issubdtype(probe[node.output[0]].dtype, np.floating):
            return False
        key = self._key(node, index)
        self.add_module(key, Rescaling(scale, offset))
        self.layers[key] = key
        self.steps.append((node.op_type, key, [x], list(node.output), {}))
        return True

    def _normalizing(self, index: int, node, inputs: list[str]) -> bool:
        """``Sub``/``Div`` of a computed value by a constant holding one value per channel
        (dimension 1: ``[1, C, 1, 1]``, ``[C, 1, 1]``; ``[C]`` for ``[batch, C]``): a
        Normalize, as the exporter writes the block (the torch importer joins a Sub and the
        Div after it into one block). True when ``node`` became one."""
        from ..modules import Normalize

        if node.op_type not in ("Sub", "Div") or len(inputs) != 2 or \
                not self.runtime(inputs[0]) or self.runtime(inputs[1]) or \
                inputs[1] not in self.consts:
            return False
        probe = self.probes[-1]
        x, value = inputs[0], np.asarray(self.consts[inputs[1]])
        if x not in probe or not np.issubdtype(probe[x].dtype, np.floating) or \
                not np.issubdtype(value.dtype, np.floating):
            return False
        rank = probe[x].ndim
        dims = (1,) * (rank - value.ndim) + value.shape
        if rank < 2 or len(dims) != rank or dims[1] != probe[x].shape[1] or \
                any(d != 1 for i, d in enumerate(dims) if i != 1) or \
                node.op_type == "Div" and (value == 0).any():
            return False
        values = [float32_decimal(v) for v in value.reshape(-1)]
        neutral = [0.0 if node.op_type == "Div" else 1.0] * len(values)
        mean, std = (values, neutral) if node.op_type == "Sub" else (neutral, values)
        key = self._key(node, index)
        self.add_module(key, Normalize(mean, std, rank))
        self.layers[key] = key
        self.steps.append((node.op_type, key, [x], list(node.output), {}))
        return True

    def _check_constant_operand(self, node, inputs: list[str], where: str) -> None:
        """A constant added to or multiplying a computed value maps to a block only as a layer
        scale (``x * gamma``, a vector along one dimension) or a positional table added to a
        ``[batch, L, D]`` sequence: anything else is refused here, naming the node."""
        probe = self.probes[-1]
        x = next(n for n in inputs if self.runtime(n))
        c = next(n for n in inputs if not self.runtime(n))
        if x not in probe or c not in self.consts:
            return
        shape, value = probe[x].shape, np.asarray(self.consts[c]).shape
        if node.op_type == "Mul":
            big = [i for i, d in enumerate(value) if d != 1]
            offset = len(shape) - len(value)
            tokens = len(shape) == 3 and shape[2] == 1 and len(value) in (2, 3) \
                and tuple(value[-2:-1]) == tuple(shape[1:2])  # FeatureTokenizer's x * weight
            if tokens:
                return
            if len(value) > len(shape) or len(big) != 1 or offset + big[0] == 0 \
                    or shape[offset + big[0]] != value[big[0]]:
                raise GraphError(f"{where}: it multiplies a {list(shape[1:])} value by a "
                                 f"constant of shape {list(value)}; no block does that (only a "
                                 f"vector along one dimension maps, to Scale: fold the constant "
                                 f"into a layer)")
        elif len(shape) != 3 or len(value) not in (2, 3) or value[-1] != shape[-1]:
            raise GraphError(f"{where}: it adds a constant of shape {list(value)} to a "
                             f"{list(shape[1:])} value; no block does that (only a positional "
                             f"table added to a [L, D] sequence maps, to PositionalEmbedding: "
                             f"fold the constant into a layer)")

    def _batch_shape(self, index: int, node, name: str, what: str = "Reshape") -> str:
        """A Reshape target computed from the batch: ``[batch, …]`` becomes ``[0, …]``."""
        values = self.batchdep[name]
        out = []
        for i, sizes in enumerate(zip(*(v.reshape(-1).tolist() for v in values))):
            if len(set(sizes)) == 1:
                out.append(sizes[0])
            elif i == 0 and list(sizes) == list(_PROBE_BATCHES):
                out.append(0)
            else:
                raise GraphError(f"ONNX node {_label(node, index)} ({what}): dimension {i} of "
                                 f"its target shape is computed from the batch size (it merges "
                                 f"the batch with another dimension); no block does that")
        if what == "Reshape" and name in self.lengthdep:
            return self._free_length(index, node, name, out)
        fixed = f"{name}::batch"
        self.consts[fixed] = np.asarray(out, dtype=np.int64)
        return fixed

    def _free_length(self, index: int, node, name: str, out: list[int]) -> str:
        """A Reshape target ``out`` (its batch 0 where it follows the batch) whose sizes
        computed from a free length are -1 (the one size left to the input's), so that the
        Reshape runs at any length."""
        at, other = self.probes[-1][name].reshape(-1), self.lengthdep[name].reshape(-1)
        moving = [i for i, (a, b) in enumerate(zip(at.tolist(), other.tolist()))
                  if a != b and out[i] != 0] if at.shape == other.shape else None
        if moving and len(moving) == 1 and out.count(-1) == 1:
            # [0, L, -1] (heads joined after attention): the -1 is a size the length leaves
            # alone, so it is written as the number and the length as -1
            left = out.index(-1)
            made = [self.probes[-1].get(node.output[0]), self.at_other.get(node.output[0])]
            if all(m is not None and m.ndim == len(out) for m in made) and \
                    made[0].shape[left] == made[1].shape[left]:
                out = [int(made[0].shape[left]) if i == left else size
                       for i, size in enumerate(out)]
        fixed = f"{name}::length"
        if moving and (len(moving) != 1 or -1 in out):  # an image's height and width: each its own
            said = self._size_expressions(moving, at.tolist(), other.tolist(), out)
            if said is not None:
                self.consts[fixed] = np.asarray(out, dtype=np.int64)
                self.size_expressions[fixed] = said
                return fixed
        if moving is None or len(moving) != 1 or -1 in out:
            raise GraphError(f"ONNX node {_label(node, index)} (Reshape): its target shape "
                             f"{list(out)} is computed from the input's free length otherwise "
                             f"than as one of its sizes beside no -1; no block reshapes so at "
                             f"any length")
        out = [-1 if i == moving[0] else size for i, size in enumerate(out)]
        self.consts[fixed] = np.asarray(out, dtype=np.int64)
        return fixed

    def _size_expressions(self, moving: list[int], at: list[int], other: list[int],
                          out: list[int]) -> list[str | None] | None:
        """A Reshape target's sizes after the batch that follow the free lengths, each as an
        expression over the one variable it follows (``[None, '=height', '=width']`` for
        ``[batch, C, H, W]``), one left to -1 where it follows none alone (the tokens
        ``H·W``) and the target has no -1; None where that does not account for them all."""
        from .onnx_free_lengths import size_expression

        said: list[str | None] = [None] * (len(out) - 1)
        unsaid = []
        for i in moving:
            said[i - 1] = size_expression((at[i], other[i]), self.free_sizes)
            if said[i - 1] is None:
                unsaid.append(i)
        if len(unsaid) > 1 or unsaid and -1 in out or not any(said):
            return None
        for i in unsaid:
            out[i] = -1
        return said

    def _sizes_of_itself(self, index: int, node) -> None:
        """Refuse a Resize to the size of an input of the file that serves only for its size
        (LayerLoom's ResizeTo alone exports so: ``F.interpolate(x, size=like.shape[2:])``):
        no block of the import would take that input. A size read from a value the model
        computes maps to Upsample by the scale it gives (below), as before."""
        todo, seen, shaped = [node.input[3]], set(), set()
        while todo:
            name = todo.pop()
            producer = self.producer.get(name)
            if name in seen or producer is None:
                continue
            seen.add(name)
            made = self.nodes[producer]
            if made.op_type == "Shape":
                shaped.add(made.input[0])
            else:
                todo.extend(n for n in made.input if n)
        sizes_only = [name for name in shaped - {node.input[0]} if name in self.input_names
                      and all(n.op_type == "Shape" for n in self.nodes if name in n.input)]
        if sizes_only:  # an input of the file that gives only its size: no block takes it
            raise GraphError(f"ONNX node {_label(node, index)} (Resize): to the size of another "
                             f"tensor (F.interpolate(x, size=other.shape[2:]), LayerLoom's "
                             f"ResizeTo), which import-onnx does not map; import the PyTorch "
                             f"model with import-torch instead")

    def _resize_scales(self, index: int, node) -> str:
        """A Resize to sizes computed from the batch (``F.interpolate(x, size=…)``): the scales
        they mean, where each is a whole number (the same at both probes)."""
        scales = []
        for probe in self.probes:
            before, after = probe[node.input[0]].shape, probe[node.output[0]].shape
            scales.append([1.0, 1.0] + [b / a for a, b in zip(before[2:], after[2:])])
        if any(s != scales[0] for s in scales) or any(s != int(s) for s in scales[0]):
            raise GraphError(f"ONNX node {_label(node, index)} (Resize): to sizes that are not a "
                             f"whole multiple of its input's ({scales[0][2:]}); no block does "
                             f"that (Upsample by a scale factor maps)")
        name = f"{node.output[0]}::scales"
        self.consts[name] = np.asarray(scales[0], dtype=np.float32)
        return name

    def _constant_parameter(self, name: str, key: str, what: str = "") -> None:
        """A constant added to (or multiplying) a tensor is a parameter of the model, so that
        the importer's rules see it (a positional table, a layer scale); a table sliced to the
        sequence's length keeps all its rows. It is named after the file's weight, else
        (``key``: the node using it) as ``what`` it is."""
        if name in self.attr_of:
            return
        source, rows = name, None
        index = self.producer.get(name)
        if index is not None and self.nodes[index].op_type == "Slice":
            table = self.nodes[index].input[0]
            cut = _leading_rows(self, self.nodes[index])
            if table in self.consts and cut is not None:
                source, rows = table, cut
        elif index is not None and self.nodes[index].op_type == "Gather":
            # a learned position table looked up with positions 0 .. n-1 (BERT's position_ids,
            # a buffer sliced to the length): the table, all its rows, of which n are added
            table, ids = self.nodes[index].input[:2]
            count = _counting_rows(self.consts.get(ids))
            if table in self.initializers and np.ndim(self.consts[table]) == 2 and \
                    count is not None and not _attr_dict(self.nodes[index]).get("axis", 0):
                source, rows = table, (slice(0, count),)
        if source in self.initializers and self.scopes:
            # the dynamo exporter's: a parameter by its path (model.vit.embeddings.cls_token:
            # cls_token), a value it computed by its own name (embedding_1: not the model's)
            parts = [p for p in re.sub(r"\.weight$", "", source).split(".") if p]
            key = parts[-1] if len(parts) > 1 else \
                f"{key}_{what}" if what and what[:-1] not in key.lower() else key
            key = re.sub(r"[^A-Za-z0-9_]", "_", key).strip("_") or "table"
            key = f"n{key}" if key[0].isdigit() else key
        elif source in self.initializers:  # named after the file's weight: cls, pos, position
            key = re.sub(r"[^A-Za-z0-9_]", "_", re.sub(r"\.weight$", "", source)).strip("_") \
                or key
            key = f"n{key}" if key[0].isdigit() else key
        attribute = self._unique(key)
        value = torch.as_tensor(np.array(self.consts[source]))
        if not value.is_floating_point():
            raise GraphError(f"a constant '{name}' of type {value.dtype} in arithmetic")
        self.register_parameter(attribute, nn.Parameter(value))  # trainable: see onnx_weights
        self.attr_of[name] = (attribute, rows)

    def _unique(self, stem: str) -> str:
        """``stem``, or ``stem_1``…: a key no step, module or attribute has. A function's step
        holds its key too: a module of the same key after it would be called in its place
        (``/block/Transpose`` then ``/block/LayerNormalization``)."""
        key, i = stem, 1
        while key in self.layers or key in self.function_keys or hasattr(self, key) or \
                key in _RESERVED:
            key, i = f"{stem}_{i}", i + 1
        return key

    def _scope_name(self, index: int) -> str:
        """The block name of the module that made node ``index`` (:mod:`.onnx_scopes`); ``""``
        for the model itself."""
        return self.scope_names.get(self.scopes[index], "")

    def _key(self, node, index: int) -> str:
        if index in self.scopes:  # the dynamo exporter's: named after its module
            key = self._scope_name(index) or \
                re.sub(r"_\d+$", "", re.sub(r"^node_", "", node.name)) or node.op_type.lower()
            key = re.sub(r"[^A-Za-z0-9_]", "_", key).strip("_") or node.op_type
            return self._unique(f"n{key}" if key[0].isdigit() else key)
        name = node.name or f"{node.op_type}_{index}"
        parts = [p for p in name.split("/") if p]
        if len(parts) > 1 and parts[-1].split("_")[0] == node.op_type:
            parts = parts[:-1]  # "/layer1/conv1/Conv" -> layer1_conv1
        if len(parts) > 1 and parts[-1] in ("rnn", "attn"):
            parts = parts[:-1]  # LayerLoom's own wrappers (Recurrent.rnn, Attention.attn)
        parts = [p for i, p in enumerate(parts)  # "encoder/encoder.0" -> encoder.0
                 if i + 1 == len(parts) or not parts[i + 1].startswith(p + ".")]
        key = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).strip("_") or node.op_type
        if key[0].isdigit():
            key = f"n{key}"
        return self._unique(key)

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise GraphError(f"{what} must be a constant of the file, not computed")
        return self.consts[name]

    # -- subgraphs that are one layer -----------------------------------------------------------

    def _claim(self, anchor: int, module: nn.Module, entries: list[str], exit_name: str,
               nodes: set[int], call: str = "one") -> None:
        """Nodes ``nodes`` are computed by ``module`` from ``entries``: the module's call
        stands where ``exit_name`` is made, the nodes are left out."""
        what = f"ONNX node {_label(self.nodes[anchor], anchor)} ({self.nodes[anchor].op_type})"
        graph_outputs = set(self.output_names)
        for index in nodes:
            if index in self.claimed:
                raise GraphError(f"{what}: it overlaps another recognised layer")
            for out in self.nodes[index].output:
                if not out or out == exit_name:
                    continue
                outside = [c for c in self.consumers.get(out, []) if c not in nodes]
                if outside or out in graph_outputs:
                    user = self.nodes[outside[0]] if outside else None
                    raise GraphError(
                        f"{what}: the value '{out}' inside the layer it belongs to is also used "
                        f"by {_label(user, outside[0]) if user is not None else 'the output'}; "
                        f"a block gives its output only")
        key = self._key(self.nodes[anchor], anchor)
        self.add_module(key, module)
        self.layers[key] = key
        for index in nodes:
            self.claimed[index] = key
        self.region_at[self.producer[exit_name]] = (key, entries, exit_name, call)

    def _ancestors(self, name: str, stop: set[str]) -> set[int]:
        """Runtime nodes that ``name`` is computed from, not looking past ``stop``."""
        out, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in stop or not self.runtime(current):
                continue
            index = self.producer.get(current)
            if index is None or index in out:
                continue
            out.add(index)
            todo.extend([*self.nodes[index].input, *_outer_names(self.nodes[index])])
        return out

    def _descendants(self, names: list[str]) -> list[str]:
        """Runtime values computed from ``names``, in node order."""
        reached, out = set(names), []
        for node in self.nodes:
            if any(i in reached for i in [*node.input, *_outer_names(node)]):
                for o in node.output:
                    if o and self.runtime(o):
                        reached.add(o)
                        out.append(o)
        return out

    def _exit(self, starts: list[str], expected: list[torch.Tensor]) -> str | None:
        """The first of ``starts`` and the values computed from them that equals ``expected``
        at both probes."""
        for name in list(starts) + self._descendants(starts):
            if all(name in p and tuple(p[name].shape) == tuple(e.shape)
                   and _close(p[name], e) for p, e in zip(self.probes, expected)):
                return name
        return None

    def _region_nodes(self, entries: list[str], exit_name: str, anchor: int) -> set[int]:
        nodes = self._ancestors(exit_name, set(entries))
        below = set(self._descendants(entries))
        stray = [i for i in nodes if not any(o in below for o in self.nodes[i].output)]
        if stray:
            raise GraphError(f"ONNX node {_label(self.nodes[anchor], anchor)} "
                             f"({self.nodes[anchor].op_type}): the layer's output also depends "
                             f"on {_label(self.nodes[stray[0]], stray[0])}")
        return nodes

    def _recurrent(self, index: int, node) -> None:
        """An ONNX LSTM/GRU/RNN (a chain of them: stacked layers) between batch-first
        sequences: the block, 'sequence' or 'last' by which output is used."""
        if node.op_type not in ("LSTM", "GRU", "RNN"):
            return
        what = f"ONNX node {_label(node, index)} ({node.op_type})"
        layer = self._recurrent_layer(index, node)
        x = node.input[0]
        ids = self._padded_lengths(node.input[4]) if len(node.input) > 4 and node.input[4] \
            else None
        if _attr_dict(node).get("layout", 0) != 1:
            before = self.producer.get(x)
            node_before = self.nodes[before] if before is not None else None
            if node_before is None or node_before.op_type != "Transpose" or \
                    list(_attr_dict(node_before).get("perm", [])) != [1, 0, 2]:
                if self._previous_layer(node) is not None:
                    return  # a stacked layer: taken with the first
                raise GraphError(f"{what}: its input is time-major [L, batch, D] and not the "
                                 f"transpose of a batch-first sequence")
            x = node_before.input[0]
        if ids is not None:  # packed: the samples sorted by length (a Gather of the batch)
            at = self.producer.get(x)
            if at is not None and self.nodes[at].op_type == "Gather" and \
                    int(_attr_dict(self.nodes[at]).get("axis", 0)) == 0:
                x = self.nodes[at].input[0]
        if not self._batch_first(x, 3):
            raise GraphError(f"{what}: its input is not a batch-first [batch, L, D] sequence")
        chain, layers = [index], [layer]
        while True:
            following = next((i for i, n in enumerate(self.nodes) if n.op_type == node.op_type
                              and self._previous_layer(n) == chain[-1]), None)
            if following is None:
                break
            chain.append(following)
            layers.append(self._recurrent_layer(following, self.nodes[following]))
        if any(lay[1:] != layers[0][1:] for lay in layers):
            raise GraphError(f"{what}: stacked layers of different sizes or directions (give "
                             f"each its own block)")
        last = self.nodes[chain[-1]]
        used = [o for o in last.output[:3] if o and self.consumers.get(o)]
        if len(last.output) > 2 and last.output[2] in used:
            raise GraphError(f"{what}: the LSTM's cell state has no block equivalent")
        if len(used) != 1:
            raise GraphError(f"{what}: both its output sequence and its last hidden state are "
                             f"used; a block gives one of them (use two layers)" if used else
                             f"{what}: none of its outputs is used")
        output = "sequence" if used[0] == last.output[0] else "last"
        _, hidden, dirs, has_bias, nonlinearity = layers[0]
        kwargs = dict(input_size=self.probes[0][x].shape[-1], hidden_size=hidden,
                      num_layers=len(chain), bidirectional=dirs == 2, bias=has_bias)
        if node.op_type == "RNN":
            kwargs["nonlinearity"] = nonlinearity
        module = _Recurrent(node.op_type, output, **kwargs).eval()
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[node.op_type]
        order = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}[node.op_type]

        def torch_order(w):  # ONNX gates iofc / zrh to PyTorch's ifgo / rzn
            w = np.asarray(w)
            w = w.reshape(gates, hidden, *w.shape[1:])
            return np.concatenate([w[g] for g in order])

        for number, ((W, R, B), *_) in enumerate(layers):
            for d in range(dirs):
                suffix = f"l{number}" + ("_reverse" if d else "")
                _set(getattr(module.rnn, f"weight_ih_{suffix}"), torch_order(W[d]))
                _set(getattr(module.rnn, f"weight_hh_{suffix}"), torch_order(R[d]))
                if B is not None:
                    _set(getattr(module.rnn, f"bias_ih_{suffix}"),
                         torch_order(B[d][:gates * hidden]))
                    _set(getattr(module.rnn, f"bias_hh_{suffix}"),
                         torch_order(B[d][gates * hidden:]))
        if ids is not None:  # given a padding mask: its final state read off the steps
            self._packed(index, module, x, ids, used[0], what)
            return
        with torch.no_grad():
            expected = [module(torch.as_tensor(p[x])) for p in self.probes]
        exit_name = self._exit([used[0]], expected)
        if exit_name is None:
            raise GraphError(f"{what}: what the file computes from its "
                             f"{'output sequence' if output == 'sequence' else 'last hidden state'}"
                             f" is not the batch-first {output} of a PyTorch {node.op_type}")
        self._claim(index, module, [x], exit_name, self._region_nodes([x], exit_name, index))

    def _padded_lengths(self, lengths: str) -> str | None:
        """The file's input of token ids whose padding gives ``lengths`` (an ONNX recurrent
        node's sequence_lens, sorted or not): each sample's steps up to its last nonzero id,
        at least 1, as the Recurrent block computes them from a PaddingMask; else None."""
        inputs = sources(self, lengths)
        if len(inputs) != 1 or inputs[0] not in self.input_names:
            return None
        for probe in self.probes:
            ids, got = probe.get(inputs[0]), probe.get(lengths)
            if ids is None or got is None or np.asarray(ids).ndim != 2 or \
                    np.asarray(got).shape != (np.asarray(ids).shape[0],):
                return None
            steps = np.arange(1, ids.shape[1] + 1)
            want = np.maximum(((np.asarray(ids) != 0) * steps).max(axis=1), 1)
            if not np.array_equal(np.sort(np.asarray(got)), np.sort(want)):
                return None
        return inputs[0]

    def _packed(self, index: int, module: nn.Module, x: str, ids: str, used: str,
                what: str) -> None:
        """The recurrent block given the PaddingMask of ``ids``: packed sequences, sorted,
        run and put back in the file; the block's output ('last', else 'sequence') is found
        among the values computed from the layer's, and the steps between are left out."""
        for output in ("last", "sequence"):  # the last state is read off the sequence
            module.last = output == "last"
            with torch.no_grad():
                expected = [module(torch.as_tensor(p[x]),
                                   torch.as_tensor(np.asarray(p[ids]) == 0).long())
                            for p in self.probes]
            # the last value that is it: the samples put back in order (on a probe whose
            # samples are all as long, the sorted ones are equal too)
            exits = [name for name in [used, *self._descendants([used])]
                     if all(name in p and tuple(p[name].shape) == tuple(e.shape)
                            and _close(p[name], e) for p, e in zip(self.probes, expected))]
            exit_name = exits[-1] if exits else None
            if exit_name is not None:
                break
        else:
            raise GraphError(f"{what}: what the file computes from its packed sequences is "
                             f"neither the output sequence nor the last state of a PyTorch "
                             f"{self.nodes[index].op_type} given a padding mask")
        self._claim(index, module, [x, self._padding_step(ids)], exit_name,
                    self._region_nodes([x, ids], exit_name, index), call="all")

    def _previous_layer(self, node) -> int | None:
        """The recurrent node whose output sequence ``node`` takes as its input (through
        layout ops only): stacked layers."""
        name = node.input[0]
        for _ in range(6):
            index = self.producer.get(name)
            if index is None:
                return None
            before = self.nodes[index]
            if before.op_type == node.op_type and name == before.output[0]:
                return index
            if before.op_type not in _LAYOUT:
                return None
            ins = [i for i in before.input if self.runtime(i)]
            if len(ins) != 1:
                return None
            name = ins[0]
        return None

    def _recurrent_layer(self, index: int, node):
        """One ONNX recurrent node checked: ((W, R, B), hidden, directions, bias, nonlinearity)."""
        what = f"ONNX node {_label(node, index)} ({node.op_type})"
        a = _attr_dict(node)
        inputs = list(node.input) + [""] * (8 - len(node.input))
        direction = a.get("direction", "forward")
        if direction not in ("forward", "bidirectional"):
            raise GraphError(f"{what}: direction '{direction}' (forward or bidirectional "
                             f"import)")
        defaults = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"],
                    "RNN": ["Tanh"]}[node.op_type]
        acts = [str(x) for x in a.get("activations", [])]
        nonlinearity = "tanh"
        if node.op_type == "RNN" and acts[:1] == ["Relu"]:
            nonlinearity, acts = "relu", ["Tanh"] * len(acts)
        found = []  # what the node has that PyTorch's layer (and the block) has not
        if acts and acts != defaults * (len(acts) // len(defaults)):
            found.append(f"activations {acts} (PyTorch's {node.op_type} computes "
                         f"{defaults}, and so does the block)")
        if "clip" in a:
            found.append(f"clip={a['clip']:g} (its cell values are clipped; PyTorch's "
                         f"{node.op_type} clips nothing)")
        if a.get("input_forget", 0):
            found.append("input_forget=1 (its input and forget gates are coupled; PyTorch's "
                         "LSTM keeps them apart)")
        if inputs[4] and self._padded_lengths(inputs[4]) is None:
            found.append(f"sequence_lens ('{inputs[4]}': a length per sample, as from "
                         f"nn.utils.rnn.pack_padded_sequence; only lengths up to each "
                         f"sample's last nonzero token id (a PaddingMask's, as LayerLoom "
                         f"exports a recurrent block given one) import: export the model "
                         f"feeding the padded batch to the layer)")
        if node.op_type == "LSTM" and inputs[7]:
            found.append(f"peepholes ('{inputs[7]}'; PyTorch's LSTM has none)")
        if found:
            raise GraphError(f"{what}: {'; '.join(found)}; no block computes "
                             f"{'this' if len(found) == 1 else 'these'}")
        if node.op_type == "GRU" and not a.get("linear_before_reset", 0):
            raise GraphError(f"{what}: linear_before_reset=0 (PyTorch's GRU, and the block, "
                             f"apply the reset gate after the linear map: 1)")
        for name in inputs[5:7] if node.op_type == "LSTM" else inputs[5:6]:
            value = self.consts.get(name, self.batchdep.get(name, (None,))[0]) if name else 0
            if value is None or np.any(np.asarray(value) != 0):
                raise GraphError(f"{what}: an initial state other than zeros ('{name}') has no "
                                 f"block equivalent")
        W = self.const(inputs[1], f"{node.op_type}'s W")
        R = self.const(inputs[2], f"{node.op_type}'s R")
        B = self.consts.get(inputs[3]) if inputs[3] else None
        if inputs[3] and B is None:
            raise GraphError(f"{what}: its bias must be a constant of the file")
        hidden = int(a.get("hidden_size", R.shape[-1]))
        dirs = 2 if direction == "bidirectional" else 1
        return (W, R, B), hidden, dirs, B is not None, nonlinearity

    def _projection(self, index: int) -> tuple[np.ndarray, np.ndarray | None, str] | None:
        """A MatMul or Gemm by a constant weight: (weight [out, in], bias or None, output)."""
        node = self.nodes[index]
        if node.op_type == "MatMul" and len(node.input) == 2 and self.runtime(node.input[0]) \
                and node.input[1] in self.consts and np.ndim(self.consts[node.input[1]]) == 2:
            weight, bias, out = np.asarray(self.consts[node.input[1]]).T, None, node.output[0]
        elif node.op_type == "Gemm" and self.runtime(node.input[0]) and \
                node.input[1] in self.consts:
            a = _attr_dict(node)
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                return None
            weight = np.asarray(self.consts[node.input[1]])
            weight = weight if a.get("transB", 0) else weight.T
            bias = self.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] \
                else None
            if bias is not None:
                bias = np.broadcast_to(bias, (weight.shape[0],))
            return weight, bias, node.output[0]
        else:
            return None
        users = self.consumers.get(out, [])
        if len(users) == 1 and self.nodes[users[0]].op_type == "Add":
            add = self.nodes[users[0]]
            other = [n for n in add.input if n != out]
            if len(other) == 1 and other[0] in self.consts and \
                    np.asarray(self.consts[other[0]]).shape == (weight.shape[0],):
                return weight, np.asarray(self.consts[other[0]]), add.output[0]
        return weight, bias, out

    def _linear(self, index: int, node) -> None:
        """``MatMul`` by a 2-D constant (with its bias ``Add``): ``nn.Linear``."""
        if node.op_type != "MatMul":
            return
        found = self._projection(index)
        if found is None:
            return
        weight, bias, out = found
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        _set(linear.weight, weight)
        if bias is not None:
            _set(linear.bias, bias)
        nodes = {index} | ({self.producer[out]} if out != node.output[0] else set())
        self._claim(index, linear, [node.input[0]], out, nodes)

    def _causal(self, index: int, node) -> None:
        """Causal attention, or attention given a padding mask that is no
        nn.MultiheadAttention, from its ``Softmax``: one ScaledDotProductAttention
        (:mod:`.onnx_causal`)."""
        found = causal_attention(self, index, node)
        if found is not None:
            layer, entries, exit_name, padding = found
            distinct = list(dict.fromkeys(entries))
            stops = distinct if padding is None else distinct + [padding[0]]
            if padding is not None:  # the mask's steps are left out: the input's padding given
                entries = entries + [self._padding_step(padding[1])]
                self.padding_masks.add(padding[0])
            self._claim(index, layer, entries, exit_name,
                        self._region_nodes(stops, exit_name, index), call="all")

    def _flat_linear(self, index: int, node) -> None:
        """A ``Gemm`` (or ``MatMul``) by a weight on a sequence flattened over the batch, as
        the dynamo exporter writes ``nn.Linear`` and transformers' ``Conv1D`` on ``[batch, L,
        D]``: ``Reshape`` to ``[batch·L, D]``, the product, ``Reshape`` back to ``[batch, L,
        out]``. One ``nn.Linear`` on the sequence."""
        if node.op_type not in ("Gemm", "MatMul"):
            return
        before = self.producer.get(node.input[0])
        found = self._projection(index)
        if before is None or found is None or self.nodes[before].op_type != "Reshape":
            return
        weight, bias, out = found
        x = self.nodes[before].input[0]
        users = self.consumers.get(out, [])
        if len(users) != 1 or self.nodes[users[0]].op_type != "Reshape" or \
                self.consumers.get(node.input[0]) != [index] or not self.runtime(x):
            return
        after = self.nodes[users[0]]
        shapes = [(p[x].shape, p[node.input[0]].shape, p[after.output[0]].shape)
                  for p in self.probes if x in p and after.output[0] in p]
        if len(shapes) != len(self.probes) or not self._batch_first(x) or \
                len(shapes[0][0]) < 3:
            return
        # the features: the last dimension, or the last few (the heads joined, [L, H, E])
        kept = next((k for k in range(2, len(shapes[0][0]))
                     if int(np.prod(shapes[0][0][k:])) == weight.shape[1]), None)
        if kept is None or any(tuple(f) != (int(np.prod(a[:kept])), int(np.prod(a[kept:])))
                               or tuple(o) != (*a[:kept], weight.shape[0])
                               for a, f, o in shapes):
            return
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        _set(linear.weight, weight)
        if bias is not None:
            _set(linear.bias, bias)
        if kept < len(shapes[0][0]) - 1:
            linear = nn.Sequential(nn.Flatten(kept), linear)
        nodes = {before, index, users[0]} | \
            ({self.producer[out]} if out != node.output[0] else set())
        self._claim(index, linear, [x], after.output[0], nodes)

    def _back_to_projection(self, name: str) -> int | None:
        todo, seen = [name], set()
        while todo:
            current = todo.pop(0)
            index = self.producer.get(current)
            if index is None or index in seen or not self.runtime(current):
                continue
            seen.add(index)
            if self.nodes[index].op_type in ("MatMul", "Gemm") and \
                    self._projection(index) is not None:
                return index
            todo.extend(i for i in self.nodes[index].input if self.runtime(i))
        return None

    def _entry(self, name: str, width: int) -> str | None:
        """From a projection's input back through layout ops to a batch-first sequence."""
        for _ in range(8):
            if self._batch_first(name, 3) and self.probes[0][name].shape[-1] == width:
                return name
            index = self.producer.get(name)
            if index is None:
                return None
            ins = [i for i in self.nodes[index].input if self.runtime(i)]
            if len(ins) != 1 or self.nodes[index].op_type not in _LAYOUT:
                return None
            name = ins[0]
        return None

    def _attention(self, index: int, node) -> None:
        """``MatMul(q, kᵀ) → Softmax → MatMul(·, v)`` with its projections: one
        ``nn.MultiheadAttention`` (batch first), checked on the probe runs."""
        if node.op_type != "Softmax":
            return
        what = f"ONNX node {_label(node, index)} (Softmax)"
        scores = node.input[0]
        padding = None  # (the mask on the scores, the input it is computed from)
        while True:
            before = self.producer.get(scores)
            if before is None:
                return
            prev = self.nodes[before]
            if prev.op_type in ("Mul", "Div") and sum(self.runtime(i) for i in prev.input) == 1:
                scores = next(i for i in prev.input if self.runtime(i))
                continue
            if prev.op_type in ("Add", "Where") and self._reaches_attention(scores):
                unmasked = self._unmasked(what, prev)
                if unmasked is None:
                    return  # causal: the product, softmax and product import one by one
                scores, found = unmasked
                padding = padding or found
                continue
            break
        if prev.op_type != "MatMul" or not all(self.runtime(i) for i in prev.input):
            return
        weights = nan_guard(self, node.output[0]) or node.output[0]
        users = [u for u in self.consumers.get(weights, [])
                 if self.nodes[u].op_type == "MatMul" and self.nodes[u].input[0] == weights]
        if len(users) != 1 or not self.runtime(self.nodes[users[0]].input[1]):
            return
        q, k, v = prev.input[0], prev.input[1], self.nodes[users[0]].input[1]
        head_dim = self.probes[0][q].shape[-1]
        projections = [self._back_to_projection(n) for n in (q, k, v)]
        out_index = next((i for i in (self.producer[n] for n in
                                      self._descendants([self.nodes[users[0]].output[0]]))
                          if self.nodes[i].op_type in ("MatMul", "Gemm")
                          and self._projection(i) is not None), None)
        if None in projections or out_index is None:
            return  # not nn.MultiheadAttention: its MatMuls, Softmax… import one by one
        # a projection shared by several of query, key, value (PyTorch packs them: one for
        # all three in self-attention, one for key and value in cross-attention) holds their
        # weights one after the other
        parts: list = [None, None, None]
        for shared in dict.fromkeys(projections):
            roles = [r for r, i in enumerate(projections) if i == shared]
            weight, bias, _ = self._projection(shared)
            if weight.shape[0] % len(roles):
                raise GraphError(f"{what}: a projection of {weight.shape[0]} outputs packs "
                                 f"{len(roles)} of query, key and value unevenly")
            biases = np.split(bias, len(roles)) if bias is not None else [None] * len(roles)
            for role, w, b in zip(roles, np.split(weight, len(roles)), biases):
                parts[role] = (w, b)
        width = parts[0][0].shape[0]
        if any(w.shape[0] != width for w, _ in parts):
            return  # key and value of fewer heads (grouped-query): ScaledDotProductAttention
        entries = [self._entry(self.nodes[i].input[0], w.shape[1])
                   for i, (w, _) in zip(projections, parts)]
        if None in entries or width % head_dim:
            raise GraphError(f"{what}: the attention's inputs are not batch-first [batch, L, D] "
                             f"sequences")
        out_weight, out_bias, out_name = self._projection(out_index)
        heads = width // head_dim
        has_bias = any(b is not None for _, b in parts) or out_bias is not None
        kdim, vdim = parts[1][0].shape[1], parts[2][0].shape[1]
        attention = nn.MultiheadAttention(width, heads, bias=has_bias, kdim=kdim, vdim=vdim,
                                          batch_first=True).eval()
        if attention._qkv_same_embed_dim:
            _set(attention.in_proj_weight, np.concatenate([w for w, _ in parts]))
        else:
            for (w, _), name in zip(parts, ("q", "k", "v")):
                _set(getattr(attention, f"{name}_proj_weight"), w)
        _set(attention.out_proj.weight, out_weight)
        if has_bias:
            zeros = np.zeros(width, dtype=np.float32)
            _set(attention.in_proj_bias, np.concatenate(
                [zeros if b is None else b for _, b in parts]))
            _set(attention.out_proj.bias, zeros if out_bias is None else out_bias)
        with torch.no_grad():
            expected = [attention(*[torch.as_tensor(p[e]) for e in entries], need_weights=False,
                                  key_padding_mask=None if padding is None else
                                  torch.as_tensor(p[padding[1]] == 0))[0]
                        for p in self.probes]
        exit_name = self._exit([out_name], expected)
        if exit_name is None:
            raise GraphError(f"{what}: this attention does not compute PyTorch's "
                             f"nn.MultiheadAttention ({heads} heads of {head_dim}; a mask, "
                             f"another scale or layout has no block equivalent)")
        distinct = list(dict.fromkeys(entries))
        stops = distinct if padding is None else distinct + [padding[0]]
        if padding is not None:  # the mask's steps are left out: the input's padding is given
            entries = entries + [self._padding_step(padding[1])]
            self.padding_masks.add(padding[0])
        self._claim(index, attention, entries, exit_name,
                    self._region_nodes(stops, exit_name, index), call="attention")

    def _padding_step(self, source: str) -> str:
        """The name of ``source == 0`` (a PaddingMask: 1 at padding), the key_padding_mask of
        an attention whose scores are masked where the input ``source`` is 0."""
        name = f"{source}::padding"
        self.padding_of[name] = source
        return name

    def _unused_masks(self) -> set[int]:
        """The nodes that computed the padding masks the attention blocks now take from their
        input (a PaddingMask): used by nothing else, they are left out."""
        unused: set[int] = set()
        todo = [self.producer[n] for n in self.padding_masks if n in self.producer]
        while todo:
            index = todo.pop()
            if index in unused or index in self.claimed or self.known_node(index):
                continue
            outputs = [o for o in self.nodes[index].output if o]
            if any(o in self.output_names for o in outputs) or any(
                    c not in self.claimed and c not in unused
                    for o in outputs for c in self.consumers.get(o, [])):
                continue
            unused.add(index)
            todo.extend(self.producer[i] for i in self.nodes[index].input
                        if i in self.producer and self.runtime(i))
        return unused

    def _unmasked(self, what: str, masking) -> tuple[str, tuple[str, str] | None] | None:
        """The scores that ``masking`` (an ``Add`` of a mask, or a ``Where`` keeping scores
        where its condition is true) masks, where the mask keeps every position or is a
        padding mask (then with ``(mask, the input it is made from)``); None where it is
        causal. A GraphError saying what to change for any other mask."""
        scores = [i for i in masking.input if self.runtime(i) and self._reaches_attention(i)]
        if masking.op_type == "Add" and len(scores) == 1:
            mask = next(i for i in masking.input if i != scores[0])
            kind = mask_kind(self, mask, additive=True)
        elif masking.op_type == "Where" and len(scores) == 1 and masking.input[1] == scores[0]:
            fill = self.consts.get(masking.input[2])
            kind = mask_kind(self, masking.input[0], additive=False)
            if fill is None or np.size(fill) != 1 or float(np.asarray(fill)) > -1e4:
                kind = "other" if kind != "none" else kind
            mask = masking.input[0]
        else:
            kind, mask = "other", None
        if kind == "none":
            return scores[0], None
        if kind == "causal":
            return None
        inputs = sources(self, mask) if mask else []
        if kind == "input" and len(inputs) == 1 and padding_of(
                self, mask, inputs[0], additive=masking.op_type == "Add"):
            return scores[0], (mask, inputs[0])
        if kind == "input" and len(inputs) == 1 and np.issubdtype(
                np.asarray(self.probes[0][inputs[0]]).dtype, np.floating):
            raise GraphError(
                f"{what}: its scores are masked with a value computed from the file's input "
                f"'{inputs[0]}', which is float32; a padding mask imports from an int64 input "
                f"(0 at padding, as Hugging Face's attention_mask): export the model given "
                f"'{inputs[0]}' as int64 (torch.ones(batch, length, dtype=torch.long)), its "
                f"code comparing it as before (attention_mask == 0)")
        if kind == "input" and inputs:
            raise GraphError(
                f"{what}: its scores are masked with a value computed from the file's input "
                f"'{inputs[0]}' that is not a padding mask (one that hides the key steps where "
                f"'{inputs[0]}' is 0, as BERT's attention_mask does, imports); no block takes "
                f"such a mask. Export the model given the other inputs alone "
                f"(torch.onnx.export(model, (input_ids,), ..., input_names=['input_ids'])): "
                f"then every token attends to every other, as with a mask of ones")
        raise GraphError(f"{what}: attention with a mask that is neither causal nor all ones "
                         f"(a value added to the scores before Softmax) has no block "
                         f"equivalent; a causal mask (each step sees itself and those before "
                         f"it) or none imports")

    def _reaches_attention(self, name: str) -> bool:
        """``name`` is computed from a MatMul of two computed tensors (attention scores)."""
        index = self.producer.get(name)
        for _ in range(4):
            if index is None:
                return False
            node = self.nodes[index]
            if node.op_type == "MatMul" and all(self.runtime(i) for i in node.input):
                return True
            ins = [i for i in node.input if self.runtime(i)]
            index = self.producer.get(ins[0]) if ins else None
        return False

    def _gelu(self, index: int, node) -> None:
        """GELU written out (opsets before 20): ``x * 0.5 * (1 + Erf(x / √2))``."""
        if node.op_type != "Erf":
            return
        before = self.producer.get(node.input[0])
        if before is None or self.nodes[before].op_type not in ("Div", "Mul"):
            return
        ins = [i for i in self.nodes[before].input if self.runtime(i)]
        if len(ins) != 1:
            return
        x, gelu = ins[0], nn.GELU()
        with torch.no_grad():
            expected = [gelu(torch.as_tensor(p[x])) for p in self.probes]
        exit_name = self._exit([node.output[0]], expected)
        if exit_name is not None:
            self._claim(index, gelu, [x], exit_name, self._region_nodes([x], exit_name, index))

    def _gelu_tanh(self, index: int, node) -> None:
        """GELU's tanh approximation written out: ``x * 0.5 * (1 + Tanh(√(2/π) * (x + 0.044715
        * x ** 3)))``, found from its ``Tanh``: each value the few nodes before it are computed
        from is tried as ``x``, and the one whose GELU a value after it equals is."""
        if node.op_type != "Tanh":
            return
        todo, seen, candidates = [(node.input[0], 0)], set(), []
        while todo:
            name, depth = todo.pop()
            at = self.producer.get(name)
            if not self.runtime(name) or name in candidates:
                continue
            if depth > 1:
                candidates.append(name)
            if at is None or at in seen or depth > 4:
                continue
            seen.add(at)
            todo.extend((i, depth + 1) for i in self.nodes[at].input)
        gelu = nn.GELU(approximate="tanh")
        for x in candidates:
            if any(x not in p for p in self.probes) or \
                    not np.issubdtype(self.probes[0][x].dtype, np.floating):
                continue
            with torch.no_grad():
                expected = [gelu(torch.as_tensor(p[x])) for p in self.probes]
            exit_name = self._exit([node.output[0]], expected)
            if exit_name is not None:
                self._claim(index, gelu, [x], exit_name,
                            self._region_nodes([x], exit_name, index))
                return

    def _layernorm(self, index: int, node) -> None:
        """LayerNorm written out (opsets before 17): ``x - mean``, its mean square, ``+ eps``,
        ``Sqrt``, ``Div``, then the scale ``Mul`` and the shift ``Add``; over the channels of
        a ``[C, H, W]`` map (the official ConvNeXt's ``LayerNorm`` for
        ``data_format="channels_first"``, its scale and shift ``[C, 1, 1]``), a LayerNorm2d."""
        if node.op_type != "ReduceMean":
            return
        channels = self._channel_axis(node)
        if not channels and not self._last_axis(node):
            return
        x, mean = node.input[0], node.output[0]

        def single(name, op):
            users = [u for u in self.consumers.get(name, []) if self.nodes[u].op_type == op]
            return users[0] if len(users) == 1 else None

        sub = single(mean, "Sub")
        if sub is None or list(self.nodes[sub].input) != [x, mean]:
            return
        centred = self.nodes[sub].output[0]
        square = single(centred, "Pow")
        div = single(centred, "Div")
        if square is None or div is None or \
                not np.all(np.asarray(self.consts.get(self.nodes[square].input[1], 0)) == 2):
            return
        var = single(self.nodes[square].output[0], "ReduceMean")
        if var is None or not (self._channel_axis(self.nodes[var]) if channels
                               else self._last_axis(self.nodes[var])):
            return
        add = single(self.nodes[var].output[0], "Add")
        if add is None:
            return
        eps = [self.consts[i] for i in self.nodes[add].input if i in self.consts]
        root = single(self.nodes[add].output[0], "Sqrt")
        if len(eps) != 1 or root is None or \
                list(self.nodes[div].input) != [centred, self.nodes[root].output[0]]:
            return
        nodes = {index, sub, square, var, add, root, div}
        out, weight, bias = self.nodes[div].output[0], None, None
        width = self.probes[0][x].shape[1 if channels else -1]
        for op in ("Mul", "Add"):
            after = single(out, op)
            users = self.consumers.get(out, [])
            if after is None or len(users) != 1:
                break
            other = [i for i in self.nodes[after].input if i != out]
            if len(other) != 1 or other[0] not in self.consts or \
                    np.asarray(self.consts[other[0]]).shape != ((width, 1, 1) if channels
                                                               else (width,)):
                break
            if op == "Mul":
                weight = np.asarray(self.consts[other[0]]).reshape(-1)
            else:
                bias = np.asarray(self.consts[other[0]]).reshape(-1)
            nodes.add(after)
            out = self.nodes[after].output[0]
        norm = (LayerNorm2d if channels else nn.LayerNorm)(
            width, eps=_f32(eps[0]), elementwise_affine=weight is not None, bias=bias is not None)
        if weight is not None:
            _set(norm.weight, weight)
            if bias is not None:
                _set(norm.bias, bias)
        with torch.no_grad():
            if not all(_close(p[out], norm(torch.as_tensor(p[x]))) for p in self.probes):
                return
        self._claim(index, norm, [x], out, nodes)

    def _groupnorm(self, index: int, node) -> None:
        """GroupNorm as the TorchScript exporter writes it: ``Reshape`` to ``[batch, G, -1]``,
        ``InstanceNormalization`` (scale 1, shift 0), ``Reshape`` back, then the scale ``Mul``
        and the shift ``Add`` per channel."""
        if node.op_type != "InstanceNormalization" or len(node.input) < 3:
            return
        before = self.producer.get(node.input[0])
        if before is None or self.nodes[before].op_type != "Reshape":
            return
        x, grouped = self.nodes[before].input[0], node.input[0]
        probe = self.probes[-1]
        if x not in probe or probe[x].ndim < 3 or probe[grouped].ndim != 3 or \
                not self.runtime(x) or self.consumers.get(grouped) != [index]:
            return
        ones = [np.asarray(self.consts.get(n, np.nan)) for n in node.input[1:3]]
        if not (np.all(ones[0] == 1) and np.all(ones[1] == 0)):
            return
        groups, channels = int(probe[grouped].shape[1]), int(probe[x].shape[1])

        def single(name, op):
            users = self.consumers.get(name, [])
            return users[0] if len(users) == 1 and self.nodes[users[0]].op_type == op else None

        after = single(node.output[0], "Reshape")
        if after is None or channels % groups:
            return
        nodes, out = {before, index, after}, self.nodes[after].output[0]
        weight, bias = np.ones(channels, np.float32), np.zeros(channels, np.float32)
        for op in ("Mul", "Add"):
            step = single(out, op)
            if step is None:
                break
            other = [i for i in self.nodes[step].input if i != out]
            if len(other) != 1 or other[0] not in self.consts:
                break
            value = np.asarray(self.consts[other[0]], np.float32).reshape(-1)
            if value.size == 1:  # no affine: the exporter's 1 and 0
                value = np.full(channels, value[0], np.float32)
            if value.size != channels:
                break
            if op == "Mul":
                weight = value
            else:
                bias = value
            nodes.add(step)
            out = self.nodes[step].output[0]
        norm = nn.GroupNorm(groups, channels, eps=_f32(_attr_dict(node).get("epsilon", 1e-5)))
        _set(norm.weight, weight)
        _set(norm.bias, bias)
        with torch.no_grad():
            if not all(_close(p[out], norm(torch.as_tensor(p[x]))) for p in self.probes):
                return
        self._claim(index, norm, [x], out, nodes)

    def _channel_axis(self, node) -> bool:
        """A ``ReduceMean`` over the channels of a 4-D ``[batch, C, H, W]`` value, kept."""
        rank, axes = self._reduced(node)
        return rank == 4 and axes == [1]

    def _last_axis(self, node) -> bool:
        rank, axes = self._reduced(node)
        return rank is not None and axes == [rank - 1]

    def _reduced(self, node) -> tuple[int | None, list[int] | None]:
        """A reduction's input rank and the axes it reduces and keeps (counted from 0), or
        None for what is not known (or not kept: ``keepdims=0``)."""
        a = _attr_dict(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1] in self.consts:
            axes = self.consts[node.input[1]]
        rank = self.probes[0][node.input[0]].ndim if node.input[0] in self.probes[0] else None
        if axes is None or rank is None or a.get("keepdims", 1) != 1:
            return rank, None
        return rank, [int(d) % rank for d in np.asarray(axes).reshape(-1)]

    def run(self, inputs: Sequence[Any]):
        env: dict[str, Any] = dict(zip(self.input_names, inputs))
        traced = inputs[0].tracer.graph if isinstance(inputs[0], torch.fx.Proxy) else None
        known, origin, scope = 0, None, None  # the trace's nodes before the step, its node
        for op, key, names, outs, attrs in self.steps:
            if traced is not None:  # what each step added to the trace is named by its node
                known = _name_nodes(traced, known, origin, scope)
                origin, scope = self.origin.get(key), self.step_scope.get(key)
            if op == "Region":
                module = getattr(self, key)
                tensors = [env[n] for n in names]
                value = module(*tensors[:3], need_weights=False,
                               key_padding_mask=tensors[3] if len(tensors) > 3 else None)[0] \
                    if attrs["_call"] == "attention" else module(*tensors) \
                    if attrs["_call"] == "all" else module(tensors[0])
                env[outs[0]] = value
                continue
            args = [self._value(n, env) for n in names]
            if key in self.layers:
                tensors = [a for n, a in zip(names, args) if n in env]
                value = getattr(self, key)(tensors[0])
            else:
                value = _FUNCTIONS[op](args, attrs)
                if traced is not None and "_free" in attrs:  # the reshape's sizes as variables
                    traced.find_nodes(op="call_method", target="reshape")[-1] \
                        .meta[FREE_SIZES] = attrs["_free"]
            if op == "Split":
                for i, name in enumerate(outs):
                    env[name] = value[i]
            else:
                env[outs[0]] = value
        if traced is not None:
            _name_nodes(traced, known, origin, scope)
        results = [env[n] for n in self.output_names]
        return results[0] if len(results) == 1 else tuple(results)

    def _value(self, name: str, env: dict):
        if name in env:
            return env[name]
        if name in self.attr_of:
            attribute, rows = self.attr_of[name]
            table = getattr(self, attribute)
            return table if rows is None else table[rows]
        return self.consts.get(name) if name else None


def _name_nodes(graph: torch.fx.Graph, known: int, origin: str | None,
                scope: str | None = None) -> int:
    """Mark the nodes the trace gained after its first ``known`` with ``origin``, the ONNX node
    they compute: an import error about them names that node (as Netron shows it), not a line
    of this file; and with ``scope``, the block name of the module that made it (the dynamo
    exporter's files), which names the blocks they become. The trace's length now."""
    from .trace import ORIGIN, SCOPE

    for node in itertools.islice(reversed(graph.nodes), len(graph.nodes) - known):
        if origin is not None:
            node.meta[ORIGIN] = origin
        if scope is not None:
            node.meta[SCOPE] = scope
    return len(graph.nodes)


class OnnxModule1(OnnxModule):
    def forward(self, x):
        return self.run([x])


class OnnxModule2(OnnxModule):
    def forward(self, x, y):
        return self.run([x, y])


class OnnxModule3(OnnxModule):
    def forward(self, x, y, z):
        return self.run([x, y, z])


def onnx_module(model, file: str | None = None, other=None,
                sizes: dict[str, tuple[int, int]] | None = None) -> OnnxModule:
    """The module that runs ``model``'s nodes (``file``: its file's name, for errors;
    ``other``: the model at another length, ``sizes`` the lengths' variables,
    :class:`OnnxModule`)."""
    count = len(onnx_inputs(model)[0])
    classes = {1: OnnxModule1, 2: OnnxModule2, 3: OnnxModule3}
    if count not in classes:
        raise GraphError(f"the ONNX model has {count} inputs; 1 to 3 import")
    module = classes[count](model, file, other, sizes)
    return module.eval()

_PROBE_BATCHES = (2, 3)
_SHAPE_OPS = {"Shape", "Size"}
_RANDOM = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
           "Multinomial", "Bernoulli"}
# ops that move values around without computing: walked through to find a layer's input
_LAYOUT = {"Transpose", "Reshape", "Identity", "Squeeze", "Unsqueeze", "Flatten", "Cast"}
_WHY = {"Shape": " (its value is used where no block takes a size)",
        "Erf": " (outside GELU, x * 0.5 * (1 + Erf(x / √2)))",
        "Pow": " (outside a LayerNorm written out, (x - mean) / Sqrt(mean((x - mean) ^ 2) + "
               "eps) over the last axis or the channels, which imports as LayerNorm or "
               "LayerNorm2d: write the norm so, or call F.layer_norm)"}


def _outer_names(node) -> list[str]:
    """The values of the enclosing graph that the subgraphs of ``node`` (an ``If``'s branches,
    a ``Loop``'s body) read: an ``If`` of a shape's condition that picks a computed tensor is
    as computed as the tensor."""
    names: list[str] = []
    for attribute in node.attribute:
        graphs = list(attribute.graphs) + ([attribute.g] if attribute.HasField("g") else [])
        for graph in graphs:
            made = {i.name for i in graph.input} | {t.name for t in graph.initializer}
            for inner in graph.node:
                names.extend(i for i in list(inner.input) + _outer_names(inner)
                             if i and i not in made)
                made.update(inner.output)
    return names


def _f32(value) -> float:
    """A float32 attribute as the decimal it was written from (1e-05, not 9.99999974e-06)."""
    return float(f"{float(np.asarray(value)):.7g}")


def _named(where: str, exc: Exception) -> str:
    """An error of one node's mapping as one line that names the node (``where``)."""
    text = str(exc).splitlines()[0] if str(exc).strip() else "its attributes or shapes do not fit"
    if isinstance(exc, GraphError):
        return text if text.startswith("ONNX node ") else f"{where}: {text}"
    # Python's own message ("'int' object is not callable") would mean nothing to the user
    return f"{where}: its attributes or input shapes take a form that no block maps"


def _attr_dict(node) -> dict:
    return {a.name: _attr(a) for a in node.attribute}


def _close(got, expected: torch.Tensor, atol: float = 1e-4) -> bool:
    got = torch.as_tensor(np.asarray(got))
    if tuple(got.shape) != tuple(expected.shape) or not got.is_floating_point():
        return False
    scale = max(1.0, expected.abs().max().item() if expected.numel() else 0.0)
    return bool(((got - expected).abs().max().item() if got.numel() else 0.0) <= atol * scale)


def _leading_rows(module: "OnnxModule", node) -> tuple[slice, ...] | None:
    """``Slice(table, [0], [n], [0])``: the index of the table's ``n`` leading rows (else None);
    of a ``[1, N, D]`` table cut along its rows (``self.pos[:, :L]``), ``[:, :n]``."""
    ins = list(node.input) + [""] * (5 - len(node.input))
    values = [module.consts.get(i) if i else None for i in ins[1:5]]
    if any(v is None for v in values[:2]) or np.asarray(values[0]).size != 1:
        return None
    starts, ends = int(np.asarray(values[0]).reshape(-1)[0]), \
        int(np.asarray(values[1]).reshape(-1)[0])
    axes = [0] if values[2] is None else np.asarray(values[2]).reshape(-1).tolist()
    steps = [1] if values[3] is None else np.asarray(values[3]).reshape(-1).tolist()
    shape = np.shape(module.consts.get(node.input[0]))
    axis = axes[0] % len(shape) if len(axes) == 1 and shape else None
    if starts != 0 or axis is None or any(d != 1 for d in shape[:axis]) or steps != [1] \
            or ends < 1:
        return None
    return (slice(None),) * axis + (slice(0, ends),)


def _counting_rows(ids) -> int | None:
    """``n`` where ``ids`` (``[n]`` or ``[1, n]``) counts 0, 1, … n-1, else None."""
    if ids is None or not np.issubdtype(np.asarray(ids).dtype, np.integer) or \
            np.ndim(ids) not in (1, 2) or np.ndim(ids) == 2 and np.shape(ids)[0] != 1 or \
            not np.size(ids):
        return None
    row = np.asarray(ids).reshape(-1)
    return int(row.size) if np.array_equal(row, np.arange(row.size)) else None


def _ort_text(exc: Exception) -> str:
    """onnxruntime's message in words: the node it names and why, without its status code and
    the C++ source location."""
    # all of it: onnxruntime says which dimension is wrong on the lines after the first
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) \
        or "no reason given"
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    found = re.match(r"Non-zero status code returned while running (\w+) node\. "
                     r"Name:'([^']*)' Status Message: (.*)", text)
    if found:
        op, name, why = found.groups()
        why = re.sub(r"^\S+:\d+ .*?\) ", "", why)  # source file:line function(arguments)
        text = f"ONNX node {name} ({op}): {why}"
    return text


def _probes(model, shapes, dtypes, batches, file: str | None = None, other=None):
    """Every value of the file run by onnxruntime on random inputs of each of ``batches``
    samples, by name (the inputs too); ``(inputs, outputs)`` of the file on random inputs
    of 3 samples, which :func:`_against_runtime` compares the imported graph with; and every
    value of ``other`` (the file at another length, :class:`OnnxModule`) on the last batch, {}
    without it. One run of onnxruntime's process for all (:func:`~.onnx_runner.run_onnx`)."""
    import onnx

    def exposed(model):
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        have = {o.name for o in probe.graph.output}
        names = [o for n in probe.graph.node for o in n.output if o and o not in have]
        probe.graph.output.extend(onnx.ValueInfoProto(name=n) for n in names)
        return probe

    probe = exposed(model)
    weights = {t.name for t in model.graph.initializer}
    inputs = [v.name for v in model.graph.input if v.name not in weights]
    runs = []
    for batch in batches:
        generator = np.random.default_rng(batch)
        runs.append((0, {name: generator.integers(0, id_bound(name), (batch, *shape))
                         .astype(np.int64)
                         if dtype == "int64" else
                         generator.standard_normal((batch, *shape)).astype(np.float32)
                         for name, shape, dtype in zip(inputs, shapes, dtypes)}))
    generator = torch.Generator().manual_seed(2)
    samples = [torch.randint(0, id_bound(n), (3, *s), generator=generator) if d == "int64"
               else torch.randn((3, *s), generator=generator)
               for n, s, d in zip(inputs, shapes, dtypes)]
    runs.append((1, {name: x.numpy() for name, x in zip(inputs, samples)}))
    models = [(probe, False), (model, True)]
    if other is not None:
        generator = np.random.default_rng(batches[-1])
        sized = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim[1:]]
                 for v in other.graph.input}
        runs.append((2, {name: generator.integers(0, id_bound(name), (batches[-1], *sized[name]))
                         .astype(np.int64) if dtype == "int64" else
                         generator.standard_normal((batches[-1], *sized[name]))
                         .astype(np.float32) for name, dtype in zip(inputs, dtypes)}))
        models.append((exposed(other), False))
    try:
        results = run_onnx(models, runs, file)
    except OrtFailure as exc:
        if exc.stage == "load":  # onnxruntime cannot load it: say so
            raise GraphError(f"onnxruntime cannot run the file: {_ort_text(exc)}") from None
        batch = next(iter(runs[exc.run][1].values())).shape[0]
        raise GraphError(f"onnxruntime cannot run the file on a batch of {batch} (the batch "
                         f"dimension must be dynamic): {_ort_text(exc)}") from None
    at_other = {**results.pop(), **runs.pop()[1]} if other is not None else {}
    probes = [{**outputs, **feeds} for outputs, (_, feeds) in zip(results[:-1], runs)]
    return probes, (samples, list(results[-1].values())), at_other


class _Recurrent(Recurrent):
    """An ONNX LSTM/GRU/RNN (and the transposes around it) as the block's own module."""


@rule(_Recurrent)
def _recurrent_rule(m: _Recurrent) -> tuple[str, dict]:
    params = {"hidden_size": m.rnn.hidden_size, "num_layers": m.rnn.num_layers,
              "bidirectional": m.rnn.bidirectional, "dropout": m.rnn.dropout,
              "bias": m.rnn.bias, "output": "last" if m.last else "sequence"}
    if m.kind == "RNN":
        params["nonlinearity"] = m.rnn.nonlinearity
    return m.kind, params


# -- attributes and constant folding ----------------------------------------------------------

def _attr(a):
    from onnx import helper, numpy_helper

    value = helper.get_attribute_value(a)
    if isinstance(value, bytes):
        return value.decode()
    if hasattr(value, "raw_data") or hasattr(value, "dims"):
        try:
            return numpy_helper.to_array(value)
        except Exception:  # noqa: BLE001 - not a tensor
            return value
    if isinstance(value, (list, tuple)):
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    return value


# -- modules ------------------------------------------------------------------------------------

def _pads(attrs: dict, n: int) -> tuple[int, ...]:
    if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise GraphError(f"auto_pad={attrs['auto_pad']} (explicit pads only)")
    pads = attrs.get("pads", [0] * 2 * n)
    if list(pads[:n]) != list(pads[n:]):
        raise GraphError(f"asymmetric pads {list(pads)}")
    return tuple(int(p) for p in pads[:n])


def _set(param: torch.Tensor, value: np.ndarray) -> None:
    with torch.no_grad():
        param.copy_(torch.as_tensor(np.array(value)).reshape(param.shape))


def _conv(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    weight = self.const(inputs[1], "a Conv's weight")
    n = weight.ndim - 2
    groups = int(attrs.get("group", 1))
    cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[n]
    strides = tuple(attrs.get("strides", [1] * n))
    # PyTorch's padding="same" pads an odd total's extra value at the end, as SAME_UPPER does
    same = attrs.get("auto_pad") == "SAME_UPPER" and set(strides) == {1}
    conv = cls(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]),
               stride=strides, padding="same" if same else _pads(attrs, n),
               dilation=tuple(attrs.get("dilations", [1] * n)), groups=groups,
               bias=len(inputs) > 2 and inputs[2] != "")
    _set(conv.weight, weight)
    if conv.bias is not None:
        _set(conv.bias, self.const(inputs[2], "a Conv's bias"))
    return conv


def _conv_transpose(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    weight = self.const(inputs[1], "a ConvTranspose's weight")
    n = weight.ndim - 2
    groups = int(attrs.get("group", 1))
    cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}[n]
    conv = cls(weight.shape[0], weight.shape[1] * groups, tuple(weight.shape[2:]),
               stride=tuple(attrs.get("strides", [1] * n)), padding=_pads(attrs, n),
               output_padding=tuple(attrs.get("output_padding", [0] * n)),
               dilation=tuple(attrs.get("dilations", [1] * n)), groups=groups,
               bias=len(inputs) > 2 and inputs[2] != "")
    _set(conv.weight, weight)
    if conv.bias is not None:
        _set(conv.bias, self.const(inputs[2], "a ConvTranspose's bias"))
    return conv


def _gemm(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
        raise GraphError("Gemm with transA, alpha or beta other than the defaults")
    weight = self.const(inputs[1], "a Gemm's B")
    if not attrs.get("transB", 0):
        weight = weight.T
    bias = len(inputs) > 2 and inputs[2] != ""
    linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias)
    _set(linear.weight, weight)
    if bias:
        _set(linear.bias, np.broadcast_to(self.const(inputs[2], "a Gemm's C"),
                                          (weight.shape[0],)))
    return linear


def _batchnorm(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    scale = self.const(inputs[1], "a BatchNormalization's scale")
    norm = _AnyBatchNorm(scale.shape[0], eps=_f32(attrs.get("epsilon", 1e-5)),
                          momentum=round(1 - float(attrs.get("momentum", 0.9)), 6))
    for param, name in zip((norm.weight, norm.bias, norm.running_mean, norm.running_var),
                           inputs[1:5]):
        _set(param, self.const(name, "a BatchNormalization's statistics"))
    return norm


class _AnyBatchNorm(nn.BatchNorm2d):
    """ONNX BatchNormalization takes [N, C] and [N, C, H, W] alike: BatchNorm1d or 2d (the
    importer's F.batch_norm rule picks by the input's rank)."""

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            False, self.momentum, self.eps)


def _layernorm(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    """Over the dimensions from ``axis`` on: ``nn.LayerNorm`` of their sizes (the scale's
    shape), the last one or several ([C, H, W]), never the batch."""
    scale = self.const(inputs[1], "a LayerNormalization's scale")
    axis, rank = int(attrs.get("axis", -1)), attrs["_rank"]
    dims = -axis if axis < 0 else (rank - axis if rank else 0)
    if rank and (dims >= rank or dims < 1) or dims != max(scale.ndim, 1):
        raise GraphError(f"LayerNormalization over axis {axis} of a {rank}-D value with a "
                         f"scale of shape {list(scale.shape)} (the dimensions after the batch "
                         f"from axis on, with a scale of their sizes, map)")
    bias = len(inputs) > 2 and inputs[2] != ""
    norm = nn.LayerNorm(tuple(scale.shape) or 1, eps=_f32(attrs.get("epsilon", 1e-5)),
                        bias=bias)
    _set(norm.weight, scale)
    if bias:
        _set(norm.bias, self.const(inputs[2], "a LayerNormalization's bias"))
    return norm


def _gather(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module | None:
    if inputs[0] not in self.consts:
        return None  # one index of a computed tensor: a function (_take)
    table = self.const(inputs[0], "a Gather's table (an embedding)")
    if attrs.get("axis", 0) != 0 or table.ndim != 2:
        raise GraphError("Gather other than rows of a 2-D table (an embedding)")
    embedding = nn.Embedding(*table.shape)
    _set(embedding.weight, table)
    return embedding


_MODULES = {"Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm,
            "BatchNormalization": _batchnorm, "LayerNormalization": _layernorm,
            "Gather": _gather}


# -- functions (on the traced tensors) --------------------------------------------------------

def _pool(kind: str):
    def run(xs, a):
        x = xs[0]
        n = len(a["kernel_shape"])
        pads = _pads(a, n)
        kwargs = {"kernel_size": tuple(a["kernel_shape"]),
                  "stride": tuple(a.get("strides", [1] * n)), "padding": pads,
                  "ceil_mode": bool(a.get("ceil_mode", 0))}
        if kind == "max":
            if a.get("storage_order", 0):
                raise GraphError("MaxPool storage_order=1")
            kwargs["dilation"] = tuple(a.get("dilations", [1] * n))
            return (F.max_pool1d if n == 1 else F.max_pool2d)(x, **kwargs)
        kwargs["count_include_pad"] = bool(a.get("count_include_pad", 0))
        return (F.avg_pool1d if n == 1 else F.avg_pool2d)(x, **kwargs)
    return run


def _global_pool(xs, a):
    if a.get("_rank") not in (3, 4):
        raise GraphError("GlobalAveragePool of an input of unknown rank (3-D or 4-D import)")
    return xs[0].mean([2, 3] if a["_rank"] == 4 else [2], keepdim=True)


def _global_max_pool(xs, a):
    """``GlobalMaxPool``, which the exporter writes for an adaptive max pool to 1 over a length
    it keeps free: a max pool whose window is the whole of the input's sizes, as imported."""
    shape = a.get("_shape")
    if shape is None or len(shape) not in (3, 4):
        raise GraphError("GlobalMaxPool of an input of unknown rank (3-D or 4-D import)")
    pool = F.max_pool1d if len(shape) == 3 else F.max_pool2d
    return pool(xs[0], kernel_size=tuple(shape[2:]))


def _reshape(xs, a):
    x, shape = xs[0], [int(d) for d in np.asarray(xs[1]).reshape(-1)]
    if not shape or shape[0] not in (0, -1):
        raise GraphError(f"Reshape to {shape}: the first dimension must stay the batch (0 or -1)")
    return x.reshape([x.shape[0]] + [x.shape[i + 1] if d == 0 and a.get("allowzero", 0) == 0
                                     else d for i, d in enumerate(shape[1:])])


def _resize(self: OnnxModule, inputs: list[str], a: dict) -> nn.Module:
    mode = a.get("mode", "nearest")
    if mode not in ("nearest", "linear") or len(inputs) < 3 or not inputs[2] \
            or len(inputs) > 3 and inputs[3]:
        raise GraphError(f"Resize in mode '{mode}' or to computed sizes (nearest or bilinear "
                         f"with constant scales only, to Upsample)")
    scales = [float(s) for s in np.asarray(self.const(inputs[2], "Resize's scales")).reshape(-1)]
    if scales[:2] != [1.0, 1.0]:
        raise GraphError(f"Resize scales {scales} change the batch or the channels")
    if mode == "linear":
        coordinates = a.get("coordinate_transformation_mode", "half_pixel")
        if len(scales) not in (3, 4) or coordinates not in \
                ("half_pixel", "pytorch_half_pixel", "align_corners"):
            raise GraphError(f"Resize linear of a {len(scales)}-D value or with coordinates "
                             f"'{a.get('coordinate_transformation_mode')}' (linear of a "
                             f"[C, L] sequence or bilinear of a [C, H, W] map, with or without "
                             f"align_corners, to Upsample)")
        factor = scales[2] if len(set(scales[2:])) == 1 else tuple(scales[2:])
        return nn.Upsample(scale_factor=factor, mode="linear" if len(scales) == 3 else
                           "bilinear", align_corners=coordinates == "align_corners")
    if a.get("coordinate_transformation_mode", "half_pixel") != "asymmetric" \
            or a.get("nearest_mode", "round_prefer_floor") != "floor":
        raise GraphError("Resize nearest other than asymmetric/floor (PyTorch's)")
    factor = scales[2] if len(set(scales[2:])) == 1 else tuple(scales[2:])
    return nn.Upsample(scale_factor=factor, mode="nearest")


def _flatten(xs, a):
    axis = a.get("axis", 1)
    if axis != 1:
        raise GraphError(f"Flatten at axis {axis} (1 only: keep the batch)")
    return torch.flatten(xs[0], 1)


def _binary(op):
    def run(xs, a):
        if any(not isinstance(x, (torch.Tensor, torch.fx.Proxy)) for x in xs[:2]):
            raise GraphError(f"{op.__name__} with a constant of the file (fold it into a layer)")
        return op(xs[0], xs[1])
    return run


def _equal(xs, a):
    """Token ids (or an attention_mask) equal to one whole number: padding (PaddingMask)."""
    value = xs[1]
    if not isinstance(xs[0], (torch.Tensor, torch.fx.Proxy)) or isinstance(
            value, (torch.Tensor, torch.fx.Proxy)) or np.size(value) != 1 \
            or not np.issubdtype(np.asarray(value).dtype, np.integer):
        raise GraphError("Equal of other than a computed value and one whole number (token ids "
                         "== the padding id: a PaddingMask block)")
    return xs[0] == int(np.asarray(value).reshape(-1)[0])


def _softmax(fn):
    def run(xs, a):
        return fn(xs[0], dim=a.get("axis", -1))
    return run


def _reduce(op: str):
    """``ReduceMean``/``ReduceSum``/``ReduceMax``/``ReduceMin`` over dimensions after the batch,
    as the torch reduction (a mean that a pooling block does becomes it, the rest Reduce);
    the axes an attribute or (opset 13+ for ReduceSum, 18+ for the others) an input."""
    name = f"Reduce{op.capitalize()}"
    function = {"mean": torch.mean, "sum": torch.sum, "max": torch.amax, "min": torch.amin}[op]

    def run(xs, a):
        axes = a.get("axes")
        if axes is None and len(xs) > 1 and xs[1] is not None:
            axes = xs[1]
        dims = [] if axes is None else [int(d) for d in np.asarray(axes).reshape(-1)]
        if not dims:
            raise GraphError(f"{name} over every dimension includes the batch")
        rank = a["_rank"] if a.get("_rank") is not None else xs[0].dim()
        keep = bool(a.get("keepdims", 1))
        over = sorted({d % rank for d in dims})
        if 0 in over:
            raise GraphError(f"{name} over dimensions {dims} of a {rank}-D value reduces the "
                             f"batch; no block does that")
        if not keep and len(over) == rank - 1:
            raise GraphError(f"{name} over dimensions {dims} of a {rank}-D value without "
                             f"keepdims leaves the batch alone; no block does that (keepdims=1 "
                             f"maps, to Reduce)")
        return function(xs[0], dim=dims, keepdim=keep)
    return run


def _split(xs, a):
    """Split by the sizes of its outputs (read on the probe run): the ``split`` input (opset
    13+), the ``split`` attribute (before 13) and ``num_outputs`` (18+) alike."""
    return torch.split(xs[0], a["_sizes"], dim=int(a.get("axis", 0)))


def _slice(xs, a):
    x = xs[0]
    values = [np.asarray(v).reshape(-1).tolist() if v is not None else None for v in xs[1:5]]
    if values[0] is None or values[1] is None:
        raise GraphError("Slice whose starts and ends are computed (constants only)")
    starts, ends = values[0], values[1]
    rank = a.get("_rank") or x.dim()
    axes = values[2] if len(values) > 2 and values[2] is not None else list(range(len(starts)))
    steps = values[3] if len(values) > 3 and values[3] is not None else [1] * len(starts)
    index = [slice(None)] * rank
    for axis, start, end, step in zip(axes, starts, ends, steps):
        axis = int(axis) % rank
        if axis == 0:
            raise GraphError("Slice of the batch dimension")
        if int(step) < 1:
            raise GraphError(f"Slice with step {int(step)} along dimension {axis}; no block does "
                             f"that (a slice forward, x[:, a:b] or x[:, ::2], maps, to Slice)")
        big = 2 ** 62
        index[axis] = slice(int(start) if abs(start) < big else None,
                            int(end) if abs(end) < big else None, int(step))
    return x[tuple(index)]


def _take(xs, a):
    """``Gather`` of one index along a dimension after the batch: ``x[:, i]``; of a list of
    them, ``x.index_select(i, index)`` (grouped-query attention's key and value heads, each
    repeated for its group of query heads)."""
    index = np.asarray(xs[1])
    axis = int(a.get("axis", 0))
    rank = a.get("_rank") or xs[0].dim()
    if index.ndim == 1 and axis % rank and index.dtype.kind in "iu":
        return xs[0].index_select(axis % rank, torch.as_tensor(index, dtype=torch.long))
    if index.ndim != 0 or axis % rank == 0:
        raise GraphError("Gather of a computed tensor other than one index, or one list of "
                         "them, along a dimension after the batch (x[:, i])")
    return xs[0][tuple([slice(None)] * (axis % rank) + [int(index)])]


def _expand(xs, a):
    """A learned token expanded over the batch (the batch read from the first input)."""
    if "_sizes" not in a:
        raise GraphError("Expand (or repeat) of a computed value to a larger shape; no block "
                         "does that (a learned token expanded over the batch maps, to "
                         "ClassToken)")
    return xs[0].expand(xs[1].size(0), *a["_sizes"][1:])


def _clip(xs, a):
    """``Clip`` to [0, 6] is ReLU6, to [0, ∞) ReLU, to any other two bounds Hardtanh (bounds
    as inputs from opset 11; the exporter writes a missing one as ±3.4e38)."""
    low = xs[1] if len(xs) > 1 and xs[1] is not None else a.get("min")
    high = xs[2] if len(xs) > 2 and xs[2] is not None else a.get("max")
    low = None if low is None or float(np.asarray(low)) < -3e38 else _f32(low)
    high = None if high is None or float(np.asarray(high)) > 3e38 else _f32(high)
    if low == 0.0 and high == 6.0:
        return F.relu6(xs[0])
    if low == 0.0 and high is None:
        return F.relu(xs[0])
    if low is not None and high is not None and low < high:
        return F.hardtanh(xs[0], low, high)
    shown = ("(-∞" if low is None else f"[{low}") + ", " + ("∞)" if high is None else f"{high}]")
    raise GraphError(f"Clip to {shown}: only [0, 6] (ReLU6), [0, ∞) (ReLU) and two bounds, "
                     f"min < max (Hardtanh), map")


def _pad(self: OnnxModule, inputs: list[str], a: dict) -> nn.Module:
    """Zero padding of the two spatial dimensions of a map, or of a sequence's length (a
    causal convolution's): ``nn.ZeroPad2d``."""
    mode = a.get("mode", "constant")
    pads = a.get("pads")
    if pads is None:
        pads = self.const(inputs[1], "Pad's pads")
    pads = [int(p) for p in np.asarray(pads).reshape(-1)]
    value = self.consts.get(inputs[2]) if len(inputs) > 2 and inputs[2] else a.get("value", 0.0)
    if mode != "constant" or float(np.asarray(value if value is not None else 0.0)) != 0.0 \
            or len(inputs) > 3 and inputs[3]:
        raise GraphError(f"Pad in mode '{mode}' or with a value other than 0 (zero padding of "
                         f"a map's height and width maps, to ZeroPad2d)")
    if len(pads) == 6 and not pads[0] and not pads[3] and min(pads) >= 0:
        # a [B, C, L] sequence: ZeroPad2d pads its last two dimensions, C and L
        return nn.ZeroPad2d((pads[2], pads[5], pads[1], pads[4]))
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) or min(pads) < 0:
        raise GraphError(f"Pad {pads} (zero padding of a [B, C, L] sequence's length or a "
                         f"[B, C, H, W] map's height and width only maps, to ZeroPad2d)")
    return nn.ZeroPad2d((pads[3], pads[7], pads[2], pads[6]))


def _instancenorm(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    if attrs.get("_rank") != 4:
        raise GraphError(f"InstanceNormalization of a {attrs.get('_rank')}-D value; no block "
                         f"does that (of a [C, H, W] map, InstanceNorm2d, and inside GroupNorm "
                         f"as the exporter writes it, map)")
    scale = self.const(inputs[1], "an InstanceNormalization's scale")
    norm = nn.InstanceNorm2d(scale.shape[0], eps=_f32(attrs.get("epsilon", 1e-5)), affine=True)
    _set(norm.weight, scale)
    _set(norm.bias, self.const(inputs[2], "an InstanceNormalization's bias"))
    return norm


def _prelu(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
    slope = np.asarray(self.const(inputs[1], "a PRelu's slope"))
    rank = attrs.get("_rank") or 2
    big = [i for i, d in enumerate(slope.shape) if d != 1]
    if slope.size > 1 and (len(big) != 1 or rank - slope.ndim + big[0] != 1):
        raise GraphError(f"PRelu with a slope of shape {list(slope.shape)} (one value, or one "
                         f"per channel, dimension 1, only: PReLU)")
    prelu = nn.PReLU(int(slope.size))
    _set(prelu.weight, slope.reshape(-1))
    return prelu


_MODULES["Resize"] = _resize
_MODULES["PRelu"] = _prelu
_MODULES["Pad"] = _pad
_MODULES["InstanceNormalization"] = _instancenorm

def _selu_defaults(a: dict) -> bool:
    """An ONNX Selu's alpha and gamma are PyTorch's (its defaults, in float32)."""
    return abs(a.get("alpha", 1.67326319) - 1.6732632423543772) < 1e-6 \
        and abs(a.get("gamma", 1.05070102) - 1.0507009873554805) < 1e-6


def _depth_to_space(xs: list, a: dict):
    """DepthToSpace: mode CRD is ``F.pixel_shuffle`` (as PyTorch's exporter writes it); DCR,
    ONNX's default (TensorFlow's order), takes the channels as (r, r, C) rather than (C, r, r).
    Either imports as Unflatten, Permute and Flattens (:mod:`.rearrangements`)."""
    x, r = xs[0], a["blocksize"]
    if a.get("mode", "DCR") == "CRD":
        return F.pixel_shuffle(x, r)
    x = x.reshape(x.shape[0], r, r, -1, x.shape[2], x.shape[3]).permute(0, 3, 4, 1, 5, 2)
    return x.flatten(4, 5).flatten(2, 3)


def _space_to_depth(xs: list, a: dict):
    """SpaceToDepth: each r × r neighbourhood to the channels, in (r, r, C) order (not
    ``F.pixel_unshuffle``'s (C, r, r))."""
    x, r = xs[0], a["blocksize"]
    x = x.reshape(x.shape[0], x.shape[1], x.shape[2] // r, r, x.shape[3] // r, r)
    return x.permute(0, 3, 5, 1, 2, 4).flatten(1, 3)


_FUNCTIONS = {
    "Relu": lambda xs, a: F.relu(xs[0]),
    "Sigmoid": lambda xs, a: torch.sigmoid(xs[0]),
    "Tanh": lambda xs, a: torch.tanh(xs[0]),
    "Sin": lambda xs, a: torch.sin(xs[0]),
    "Cos": lambda xs, a: torch.cos(xs[0]),
    "Exp": lambda xs, a: torch.exp(xs[0]),
    "LeakyRelu": lambda xs, a: F.leaky_relu(xs[0], a.get("alpha", 0.01)),
    "Elu": lambda xs, a: F.elu(xs[0], a.get("alpha", 1.0)),
    "Celu": lambda xs, a: F.celu(xs[0], a.get("alpha", 1.0)),
    "Selu": lambda xs, a: F.selu(xs[0]) if _selu_defaults(a) else
    a.get("gamma", 1.0507) * F.elu(xs[0], a.get("alpha", 1.6733)),  # ELU, Rescaling
    "HardSigmoid": lambda xs, a: F.hardsigmoid(xs[0]),
    "HardSwish": lambda xs, a: F.hardswish(xs[0]),
    "Softplus": lambda xs, a: F.softplus(xs[0]),
    "Mish": lambda xs, a: F.mish(xs[0]),
    "Softmax": _softmax(F.softmax),
    "LogSoftmax": _softmax(F.log_softmax),
    "Identity": lambda xs, a: xs[0],
    # to the type it has already, or a comparison's true and false to 1 and 0 (other casts
    # are refused)
    "Cast": lambda xs, a: xs[0].long() if a.get("to") == 7  # INT64
    and isinstance(xs[0], (torch.Tensor, torch.fx.Proxy)) else xs[0],
    "Equal": _equal,
    "Squeeze": lambda xs, a: xs[0].reshape(xs[0].shape[0], *a["_sizes"]),
    "Unsqueeze": lambda xs, a: xs[0].reshape(xs[0].shape[0], *a["_sizes"]),
    "Dropout": lambda xs, a: xs[0],
    "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"),
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_max_pool,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": lambda xs, a: xs[0].permute(*a["perm"]),
    "DepthToSpace": _depth_to_space,
    "SpaceToDepth": _space_to_depth,
    "Concat": lambda xs, a: torch.cat(list(xs), dim=a["axis"]),
    "Add": _binary(torch.add),
    "Mul": _binary(torch.mul),
    "Sub": _binary(torch.sub),  # of two computed tensors: by constants, Rescaling or Normalize
    "Div": _binary(torch.div),
    "MatMul": _binary(torch.matmul),  # of two computed tensors (by a weight: a Linear)
    # torch.einsum, which the importer writes as the permutes and batched product it is
    # (einsums.py), or refuses naming the equation
    "Einsum": lambda xs, a: torch.einsum(a["equation"], *xs),
    "ReduceMean": _reduce("mean"),
    "ReduceSum": _reduce("sum"),
    "ReduceMax": _reduce("max"),
    "ReduceMin": _reduce("min"),
    "Split": _split,
    "Slice": _slice,
    "Gelu": lambda xs, a: F.gelu(xs[0], approximate=a.get("approximate", "none")),
    "Clip": _clip,
    "Gather": _take,
    "Expand": _expand,
    # ids of one token type, sized from the value they were made from (onnx_token_types.py)
    "TokenIds": lambda xs, a: torch.full_like(xs[0], a["_type"], dtype=torch.long)
    if a["_type"] else torch.zeros_like(xs[0], dtype=torch.long),
}


def import_onnx(path: str | Path, *, name: str | None = None, atol: float = 1e-4):
    """``(graph, state_dict, max abs diff)``: the graph of the ONNX file at ``path``, its
    weights keyed for the compiled graph, checked against onnxruntime running the file."""
    return import_onnx_model(read_onnx(path), Path(path).name, name=name, atol=atol)


def import_onnx_model(model, file: str, *, name: str | None = None, atol: float = 1e-4):
    """:func:`import_onnx` of a checked ONNX model already read (:func:`read_onnx`, or
    :func:`~.onnx_upload.read_onnx_bytes` for an upload); ``file``: its file's name, which
    errors and the description quote."""
    from .onnx_free_lengths import LengthHeld
    from .onnx_lengths import design_image_sizes, design_length, fix_lengths, is_image
    from .training import ImportNote

    # a LayerLoom export's free length: its design's (an image's unequal height and width)
    design = design_length(model) or design_image_sizes(model)
    if not design:  # no LayerLoom file, or several free sizes of a text: at the design's
        return _import_model(fix_lengths(model), file, name, atol, None)
    word = "size" if any(is_image(v) for v in model.graph.input) else "length"
    shown = design if isinstance(design, int) else \
        ", ".join("×".join(map(str, per.values())) for per in design.values())
    try:
        return _import_model(model, file, name, atol, design)
    except LengthHeld as exc:
        # "the file's outputs at 16 (...); Reshape_3 uses a size computed from the length"
        reason = str(exc).split(" does not give ", 1)[-1].split(": it would take", 1)[0]
        reason = f"the design imported at {word} {shown} does not give {reason}"
    except GraphError as exc:  # a step no block takes at any size (a Reshape of both)
        reason = f"no design takes them ({str(exc).splitlines()[0]})"
    graph, state, diff = _import_model(fix_lengths(model), file, name, atol, None)
    warnings.warn(f"the file takes other {word}s, but {reason}: its Input takes only the "
                  f"{word} {shown}", ImportNote, stacklevel=2)
    return graph, state, diff


def _import_model(model, file: str, name: str | None, atol: float,
                  design: int | dict[str, dict[int, int]] | None):
    """:func:`import_onnx_model`, the free lengths imported first at ``design``."""
    from . import check_import, traced_import
    from .onnx_free_lengths import check_other_length, free_lengths, free_the_inputs
    from .onnx_weights import refuse_shared_layers, say_constants_learn

    lengths = free_lengths(model, file, design)  # the design's variable
    if lengths is not None:
        model = lengths.at(model, lengths.imported())
    refuse_large_inputs(model, file, run_batches(model))
    model = free_batch(model, file)
    refuse_shared_layers(model, file)
    shapes, dtypes = onnx_inputs(model)
    other = lengths.at(model, lengths.others) if lengths is not None else None
    module = onnx_module(model, file, other, lengths.sizes() if lengths is not None else None)
    graph, weights, _ = traced_import(module, shapes, dtypes, name=name or Path(file).stem)
    say_constants_learn(graph, weights, {attribute for attribute, _ in module.attr_of.values()})
    graph.description = f"Imported from the ONNX file {file}."
    _name_inputs(graph, module.input_names)
    state = weights.apply(module.state_dict())
    diff = check_import(module, graph, state, shapes, dtypes, weights=weights)

    def checked(graph, state):
        worst = max(diff, _against_runtime(module.checked, graph, state, atol))
        if lengths is None:
            return graph, state, worst
        free_the_inputs(graph, module.input_names, lengths)
        return graph, state, max(worst, check_other_length(graph, state, lengths, file, atol,
                                                           module.length_held))

    try:  # encoder layers as one block each, kept only where onnxruntime agrees
        merged = _encoder_layers(graph, state)
        if merged is not None:
            return checked(*merged)
    except Exception:  # noqa: BLE001 - the blocks as imported stay, checked below
        pass
    return checked(graph, state)


def _name_inputs(graph, names: list[str]) -> None:
    """The Input nodes named as the file names its inputs (``image``), where that is free."""
    taken = {n.id for n in graph.nodes}
    inputs = [n for n in graph.nodes if n.type == "Input"]
    for node, wanted in zip(inputs, names):
        new = re.sub(r"[^A-Za-z0-9_-]", "_", wanted)[:58]
        if not new or new in taken:
            continue
        for edge in graph.edges:
            if edge.source == node.id:
                edge.source = new
        taken.discard(node.id)
        taken.add(new)
        node.id = new


def _layer_name(attention: str, repeat: int) -> str:
    """The id of the encoder layer whose attention block is ``attention``, ``repeat`` copies:
    the attention's module without its own part (``layers_0_self_attn``: ``layers_0``; BERT's
    ``layer_0_attention_self``: ``layer_0``), its index dropped where the block repeats; a
    container's bare name (``layer``, ``h``, ``blocks``) reads ``encoder_layer``.

    >>> _layer_name("layer_0_attention_self", 1), _layer_name("layer_0_attention", 2)
    ('encoder_layer_0', 'encoder_layer')
    >>> _layer_name("transformer_encoder_layers_0_self_attn", 2)
    'transformer_encoder_layers'
    """
    stem = re.sub(r"_(self_)?(attn|attention)(_[A-Za-z]\w*)?$", "", attention) or attention
    if repeat > 1:
        stem = re.sub(r"_\d+$", "", stem) or stem
    found = re.fullmatch(r"(layers?|h|blocks?|encoder_layers?)((_\d+)?)", stem)
    return f"encoder_layer{found.group(2)}" if found else stem


def _against_runtime(checked, graph, state, atol: float) -> float:
    """The compiled graph against onnxruntime on the file (its batch made free): ``checked``,
    the file's inputs of batch 3 and its outputs there (:func:`_probes`)."""
    from ..compile import compile_graph

    samples, expected = checked
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        got = compiled(*samples)
    match = match_outputs(expected, got, atol)
    if match.shapes_differ:
        raise GraphError(f"output {match.index}: the graph gives {match.shape}, onnxruntime "
                         f"{match.expected_shape}")
    if not match.agrees:
        raise GraphError(f"output {match.index} differs from onnxruntime's on the file: max abs "
                         f"diff {match.diff:.3g}")
    return match.diff


# -- Transformer encoder layers: the blocks of one, back to one block ---------------------------

def _encoder_layers(graph, state: dict):
    """``(graph, state)`` with each run of MultiheadAttention, Add, LayerNorm, Linear,
    ReLU/GELU, Linear, Add, LayerNorm (post-norm, or pre-norm's order) that is one
    ``nn.TransformerEncoderLayer`` made that block again (the attention's padding mask, where
    it has one, its ``src_key_padding_mask``), and consecutive equal ones one node repeated; ``None`` when there is none. The dropout is not in an ONNX file: PyTorch's
    default, 0.1."""
    from ..compile import compile_graph
    from ..model import Edge, Node
    from ..validate import validate

    sources: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    padding: dict[str, str] = {}  # attention -> the PaddingMask feeding its key_padding_mask
    for edge in graph.edges:
        if edge.port == "key_padding_mask":
            padding[edge.target] = edge.source
            continue
        if edge.source not in sources.get(edge.target, []):  # self-attention: one source
            sources.setdefault(edge.target, []).append(edge.source)
        if edge.target not in users.get(edge.source, []):
            users.setdefault(edge.source, []).append(edge.target)
    nodes = {n.id: n for n in graph.nodes}
    shapes = {k: v.shape for k, v in validate(graph).resolution.top.nodes.items()}

    def sole(node_id, kind):
        after = users.get(node_id, [])
        return after[0] if len(after) == 1 and nodes[after[0]].type in kind else None

    def kind(node_id, *types):
        return node_id is not None and nodes[node_id].type in types

    layers = []  # (entry, chain of ids, params)
    for attn in (n.id for n in graph.nodes if n.type == "MultiheadAttention"):
        if len(sources.get(attn, [])) != 1:
            continue
        before = sources[attn][0]
        pre = kind(before, "LayerNorm") and users.get(before) == [attn]
        x = sources[before][0] if pre and len(sources.get(before, [])) == 1 else before
        add1 = sole(attn, ("Add",))
        if add1 is None or sorted(sources.get(add1, [])) != sorted([x, attn]):
            continue
        if pre:
            norm1, after = before, sorted(users.get(add1, []))
            norm2 = next((u for u in after if nodes[u].type == "LayerNorm"), None)
            add2 = next((u for u in after if nodes[u].type == "Add"), None)
            start, residual = norm2, add1
            if len(after) != 2 or norm2 is None or add2 is None:
                continue
        else:
            norm1 = sole(add1, ("LayerNorm",))
            after = sorted(users.get(norm1, [])) if norm1 else []
            start, residual = norm1, norm1
            add2 = next((u for u in after if nodes[u].type == "Add"), None)
            if len(after) != 2 or add2 is None:
                continue
        linear1 = next((u for u in users.get(start, []) if nodes[u].type == "Linear"), None)
        act = sole(linear1, ("ReLU", "GELU")) if linear1 else None
        linear2 = sole(act, ("Linear",)) if act else None
        if linear2 is None or sole(linear2, ("Add",)) != add2 or \
                sorted(sources.get(add2, [])) != sorted([residual, linear2]):
            continue
        if pre:
            chain, exit_id = [norm1, attn, add1, norm2, linear1, act, linear2, add2], add2
        else:
            norm2 = sole(add2, ("LayerNorm",))
            if norm2 is None:
                continue
            chain, exit_id = [attn, add1, norm1, linear1, act, linear2, add2, norm2], norm2
        norms = [nodes[norm1].params, nodes[norm2].params]
        width = shapes[x][-1]
        if any(p.get("elementwise_affine", True) is False or p.get("bias", True) is False
               for p in norms) or norms[0].get("eps", 1e-5) != norms[1].get("eps", 1e-5) \
                or any(nodes[i].params.get("bias", True) is False
                       for i in (attn, linear1, linear2)) \
                or nodes[linear2].params.get("out_features") != width \
                or nodes[act].params.get("approximate", "none") != "none" or len(shapes[x]) != 2:
            continue
        params = {"nhead": nodes[attn].params.get("num_heads", 4),
                  "dim_feedforward": nodes[linear1].params["out_features"], "dropout": 0.1,
                  "activation": "relu" if nodes[act].type == "ReLU" else "gelu",
                  "norm_first": bool(pre), "layer_norm_eps": norms[0].get("eps", 1e-5)}
        layers.append((x, chain, exit_id, params, padding.get(attn)))
    if not layers:
        return None
    # consecutive equal layers (given the same padding mask): one node, repeated
    runs: list[list] = []
    for layer in layers:
        if runs and runs[-1][-1][2] == layer[0] and runs[-1][-1][3] == layer[3] and \
                runs[-1][-1][4] == layer[4] and \
                all(u in layer[1] for u in users.get(layer[0], [])):
            runs[-1].append(layer)
        else:
            runs.append([layer])
    old = compile_graph(graph).eval()
    old.load_state_dict(state, strict=True)
    old_names = node_names([n.id for n in graph.nodes])
    taken = {n.id for n in graph.nodes} - {i for layer in layers for i in layer[1]}
    new_nodes, new_edges, made = list(graph.nodes), copy.deepcopy(graph.edges), []
    for run in runs:
        gone = {i for layer in run for i in layer[1]}
        stem = _layer_name(run[0][1][1 if run[0][3]["norm_first"] else 0], len(run))
        node_id, i = stem, 1
        while node_id in taken:
            node_id, i = f"{stem}_{i}", i + 1
        taken.add(node_id)
        node = Node(node_id, "TransformerEncoderLayer", dict(run[0][3]),
                    repeat=len(run) if len(run) > 1 else None,
                    position=nodes[attn].position)
        first = next(n for n in new_nodes if n.id in gone)
        new_nodes = [node if n is first else n for n in new_nodes
                     if n is first or n.id not in gone]
        entry, exit_id, mask = run[0][0], run[-1][2], run[0][4]
        given = [Edge(entry, node_id, "src"), Edge(mask, node_id, "src_key_padding_mask")] \
            if mask else [Edge(entry, node_id)]
        new_edges = [e for e in new_edges if e.target not in gone and e.source not in gone] + \
            given + [Edge(node_id, e.target, e.port, e.extra) for e in new_edges
                     if e.source == exit_id]
        made.append((node_id, run))
        for e in new_edges:  # a later run's edges from this one's last node
            if e.source == exit_id:
                e.source = node_id
    order = {n.id: i for i, n in enumerate(new_nodes)}
    new_edges.sort(key=lambda e: (order.get(e.target, 0), order.get(e.source, 0)))
    merged = copy.copy(graph)
    merged.nodes, merged.edges = new_nodes, new_edges
    new = compile_graph(merged).eval()
    new_names = node_names([n.id for n in merged.nodes])
    old_modules, new_modules = dict(old.named_modules()), dict(new.named_modules())
    with torch.no_grad():
        for n in merged.nodes:
            if n.id in old_names and old_names[n.id] in old_modules and \
                    new_names.get(n.id) in new_modules and n.id not in {m for m, _ in made}:
                new.get_submodule(new_names[n.id]).load_state_dict(
                    old.get_submodule(old_names[n.id]).state_dict())
        for node_id, run in made:
            for copy_index, (_, chain, _, params, _) in enumerate(run):
                path = new_names[node_id] + (f".{copy_index}" if len(run) > 1 else "")
                layer = new.get_submodule(path)
                if params["norm_first"]:
                    norm1, attn, _, norm2, linear1, _, linear2, _ = chain
                else:
                    attn, _, norm1, linear1, _, linear2, _, norm2 = chain
                for part, source in (("self_attn", attn), ("norm1", norm1), ("norm2", norm2),
                                     ("linear1", linear1), ("linear2", linear2)):
                    module = old.get_submodule(old_names[source])
                    module = getattr(module, "attn", module)  # the block's Attention wrapper
                    getattr(layer, part).load_state_dict(module.state_dict())
    return merged, {k: v.detach().clone() for k, v in new.state_dict().items()}
