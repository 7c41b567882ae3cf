"""ONNX in: an ONNX file becomes a LayerLoom graph through the torch importer.

Each ONNX node of the standard operator set becomes a ``torch.nn`` module (with the file's
weights) or a torch function inside :class:`OnnxModule`, a module that runs the ONNX graph in
order; ``torch.fx`` traces it like any model, so the same rules, weight mapping and checks apply.
Values computed from constants only (shapes, scales) are folded while the module is built.
Nothing is unpickled: an ONNX file is a protobuf message, read with the ``onnx`` package.

Why not ``onnx2torch``: it imports torchvision (its NMS and RoIAlign converters), which does not
import beside the CPU build of torch, and it would add torchvision as a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GraphError

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
        if len(dims) < 2 or any(d is None or d < 1 for d in dims[1:]):
            raise GraphError(f"input '{value.name}' has shape {dims}: the sizes after the batch "
                             f"must be fixed numbers")
        shapes.append(tuple(dims[1:]))
        dtypes.append(_DTYPES[kind.elem_type])
    return shapes, dtypes


class OnnxModule(nn.Module):
    """Runs an ONNX graph's nodes in order with torch modules and functions."""

    def __init__(self, model):
        super().__init__()
        from onnx import numpy_helper

        self.layers: dict[str, str] = {}  # ONNX node key -> attribute holding its module
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        if opset not in OPSETS:
            raise GraphError(f"ONNX opset {opset}; opsets {OPSETS[0]}–{OPSETS[-1]} import")
        self.consts: dict[str, Any] = {t.name: numpy_helper.to_array(t)
                                       for t in model.graph.initializer}
        weights = set(self.consts)
        self.input_names = [v.name for v in model.graph.input if v.name not in weights]
        self.output_names = [v.name for v in model.graph.output]
        self.steps: list[tuple[str, str, list[str], list[str], dict]] = []
        ranks = _ranks(model)
        for index, node in enumerate(model.graph.node):
            attrs = {a.name: _attr(a) for a in node.attribute}
            attrs["_rank"] = ranks.get(node.input[0]) if node.input else None
            if node.domain not in ("", "ai.onnx"):
                raise GraphError(f"ONNX node {node.name or index} ({node.domain}.{node.op_type}): "
                                 f"only the standard operator set imports")
            if all(i in self.consts or i == "" for i in node.input) and \
                    node.op_type in _FOLD:
                for name, value in zip(node.output, _FOLD[node.op_type](
                        [self.consts.get(i) for i in node.input], attrs)):
                    self.consts[name] = value
                continue
            key = self._key(node, index)
            make = _MODULES.get(node.op_type)
            if make is not None:
                try:
                    self.add_module(key, make(self, list(node.input), attrs))
                    self.layers[key] = key
                except GraphError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a shape or attribute that does not fit
                    raise GraphError(f"ONNX node {node.name or index} ({node.op_type}): "
                                     f"{exc}") from None
            elif node.op_type not in _FUNCTIONS:
                raise GraphError(f"ONNX node {node.name or index} ({node.op_type}): no LayerLoom "
                                 f"block does {node.op_type}")
            self.steps.append((node.op_type, key, list(node.input), list(node.output), attrs))

    def _key(self, node, index: int) -> str:
        name = node.name or f"{node.op_type}_{index}"
        parts = [p for p in name.split("/") if p]
        if len(parts) > 1 and parts[-1].split("_")[0] == node.op_type:
            parts = parts[:-1]  # "/layer1/conv1/Conv" -> layer1_conv1
        key = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).strip("_") or node.op_type
        if key[0].isdigit():
            key = f"n{key}"
        stem, i = key, 1
        while key in self.layers or hasattr(self, key) or key in _RESERVED:
            key, i = f"{stem}_{i}", i + 1
        return key

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise GraphError(f"{what} must be a constant of the file, not computed")
        return self.consts[name]

    def run(self, inputs: Sequence[Any]):
        env: dict[str, Any] = dict(zip(self.input_names, inputs))
        for op, key, names, outs, attrs in self.steps:
            args = [env[n] if n in env else self.consts.get(n) if n else None for n in names]
            if key in self.layers:
                tensors = [a for n, a in zip(names, args) if n in env]
                value = getattr(self, key)(tensors[0])
            else:
                value = _FUNCTIONS[op](args, attrs)
            env[outs[0]] = value
        results = [env[n] for n in self.output_names]
        return results[0] if len(results) == 1 else tuple(results)


class OnnxModule1(OnnxModule):
    def forward(self, x):
        return self.run([x])


class OnnxModule2(OnnxModule):
    def forward(self, x, y):
        return self.run([x, y])


class OnnxModule3(OnnxModule):
    def forward(self, x, y, z):
        return self.run([x, y, z])


def onnx_module(model) -> OnnxModule:
    count = len(onnx_inputs(model)[0])
    classes = {1: OnnxModule1, 2: OnnxModule2, 3: OnnxModule3}
    if count not in classes:
        raise GraphError(f"the ONNX model has {count} inputs; 1 to 3 import")
    module = classes[count](model)
    return module.eval()


def _ranks(model) -> dict[str, int]:
    """The rank of every value ONNX's shape inference knows."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - an unusual model: ranks stay unknown
        return {}
    out = {}
    for value in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        kind = value.type.tensor_type
        if kind.HasField("shape"):
            out[value.name] = len(kind.shape.dim)
    return out


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
    return list(value) if isinstance(value, (list, tuple)) else value


_FOLD = {
    "Identity": lambda xs, a: [xs[0]],
    "Constant": lambda xs, a: [np.asarray(a["value"])],
    "Unsqueeze": lambda xs, a: [np.expand_dims(xs[0], tuple(a.get("axes", xs[1] if len(xs) > 1
                                                                 else [])))],
    "Concat": lambda xs, a: [np.concatenate(xs, axis=a["axis"])],
    "Cast": lambda xs, a: [xs[0]],
}


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
    conv = cls(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]),
               stride=tuple(attrs.get("strides", [1] * n)), padding=_pads(attrs, n),
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
    norm = _AnyBatchNorm(scale.shape[0], eps=float(attrs.get("epsilon", 1e-5)),
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
    if attrs.get("axis", -1) != -1:
        raise GraphError(f"LayerNormalization over axis {attrs['axis']} (the last only)")
    scale = self.const(inputs[1], "a LayerNormalization's scale")
    bias = len(inputs) > 2 and inputs[2] != ""
    norm = nn.LayerNorm(scale.shape[-1], eps=float(attrs.get("epsilon", 1e-5)), bias=bias)
    _set(norm.weight, scale)
    if bias:
        _set(norm.bias, self.const(inputs[2], "a LayerNormalization's bias"))
    return norm


def _gather(self: OnnxModule, inputs: list[str], attrs: dict) -> nn.Module:
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


def _reshape(xs, a):
    x, shape = xs[0], [int(d) for d in np.asarray(xs[1]).reshape(-1)]
    if not shape or shape[0] not in (0, -1):
        raise GraphError(f"Reshape to {shape}: the first dimension must stay the batch (0 or -1)")
    return x.reshape([x.shape[0]] + [x.shape[i + 1] if d == 0 and a.get("allowzero", 0) == 0
                                     else d for i, d in enumerate(shape[1:])])


def _resize(self: OnnxModule, inputs: list[str], a: dict) -> nn.Module:
    if a.get("mode", "nearest") != "nearest" or len(inputs) < 3 or not inputs[2] \
            or len(inputs) > 3 and inputs[3]:
        raise GraphError("Resize other than nearest with constant scales")
    scales = [float(s) for s in np.asarray(self.const(inputs[2], "Resize's scales")).reshape(-1)]
    if scales[:2] != [1.0, 1.0]:
        raise GraphError(f"Resize scales {scales} change the batch or the channels")
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


def _softmax(fn):
    def run(xs, a):
        return fn(xs[0], dim=a.get("axis", -1))
    return run


_MODULES["Resize"] = _resize

_FUNCTIONS = {
    "Relu": lambda xs, a: F.relu(xs[0]),
    "Sigmoid": lambda xs, a: torch.sigmoid(xs[0]),
    "Tanh": lambda xs, a: torch.tanh(xs[0]),
    "LeakyRelu": lambda xs, a: F.leaky_relu(xs[0], a.get("alpha", 0.01)),
    "Elu": lambda xs, a: F.elu(xs[0], a.get("alpha", 1.0)),
    "HardSigmoid": lambda xs, a: F.hardsigmoid(xs[0]),
    "HardSwish": lambda xs, a: F.hardswish(xs[0]),
    "Softplus": lambda xs, a: F.softplus(xs[0]),
    "Softmax": _softmax(F.softmax),
    "LogSoftmax": _softmax(F.log_softmax),
    "Identity": lambda xs, a: xs[0],
    "Dropout": lambda xs, a: xs[0],
    "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"),
    "GlobalAveragePool": _global_pool,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": lambda xs, a: xs[0].permute(*a["perm"]),
    "Concat": lambda xs, a: torch.cat(list(xs), dim=a["axis"]),
    "Add": _binary(torch.add),
    "Mul": _binary(torch.mul),
}


def import_onnx(path: str | Path, *, name: str | None = None, atol: float = 1e-4):
    """``(graph, state_dict, max abs diff)``: the graph of the ONNX file at ``path``, its
    weights keyed for the compiled graph, checked against onnxruntime running the file."""
    from . import check_import, import_torch

    model = read_onnx(path)
    shapes, dtypes = onnx_inputs(model)
    module = onnx_module(model)
    graph, weights = import_torch(module, shapes, dtypes, name=name or Path(path).stem)
    graph.description = f"Imported from the ONNX file {Path(path).name}."
    _name_inputs(graph, module.input_names)
    state = weights.apply(module.state_dict())
    diff = check_import(module, graph, state, shapes, dtypes, weights=weights)
    return graph, state, max(diff, _against_runtime(path, graph, state, shapes, dtypes, atol))


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


def _against_runtime(path, graph, state, shapes, dtypes, atol: float) -> float:
    """The compiled graph against onnxruntime on the file, on random inputs of batch 3."""
    import onnxruntime as ort

    from ..compile import compile_graph

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(2)
    samples = [torch.randint(0, 5, (3, *s), generator=generator) if d == "int64"
               else torch.randn((3, *s), generator=generator) for s, d in zip(shapes, dtypes)]
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), samples)}
    expected = session.run(None, feeds)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        got = compiled(*samples)
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    worst = 0.0
    for i, (a, b) in enumerate(zip(expected, got)):
        a = torch.as_tensor(a).float()
        if tuple(a.shape) != tuple(b.shape):
            raise GraphError(f"output {i}: the graph gives {list(b.shape)}, onnxruntime "
                             f"{list(a.shape)}")
        diff = (a - b.float()).abs().max().item() if a.numel() else 0.0
        if diff > atol * max(1.0, a.abs().max().item() if a.numel() else 0.0):
            raise GraphError(f"output {i} differs from onnxruntime's on the file: max abs diff "
                             f"{diff:.3g}")
        worst = max(worst, diff)
    return worst
