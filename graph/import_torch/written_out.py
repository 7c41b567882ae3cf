"""Calls without a block of their own, written out as the operations they are, which import
as blocks::

    torch.addcmul(y, a, b, value=v)   # y + a * b * v: Add, Multiply (and Rescaling)
    torch.stack(skips).sum(dim=0)     # s0 + s1 + …: Adds (WaveNet's skip connections);
                                      # .mean(0) divides the sum by their number (Rescaling)
    torch.zeros_like(x)               # x * 0 (a Rescaling by 0), x a float computed tensor
    F.unfold(x, 4, stride=4)          # non-overlapping 4×4 patches of [B, C, H, W]:
    nn.Unfold(4, stride=4)(x)         # x.reshape(B, C, H/4, 4, W/4, 4).permute(0, 1, 3, 5, 2, 4)
                                      #  .flatten(1, 3).flatten(2, 3) → [B, C·16, H/4 · W/4]
                                      #  (a Reshape: the graph holds the traced H and W)

``x * self.alpha + self.beta`` with ``alpha`` and ``beta`` learned vectors of one shape along
one dimension (ResMLP's ``Affine``, also as ``torch.addcmul(self.beta, self.alpha, x)``) is
:func:`scale_shift`, which imports as one Scale block with a bias.

Each written-out node keeps what the model's code wrote (:data:`.rearrangements.WRITTEN`), so
an import error names the call. Patches that overlap, are padded or dilated, or leave part of
the map out have no rewrite: the import refuses them, naming the call and what to write.
"""

from __future__ import annotations

import operator
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .rearrangements import copy_origin
from .rewriting import calls, fuse_sums, replace, settled

_ADDCMUL = (torch.addcmul, "addcmul")


def write_out(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each ``addcmul`` and each patch-taking ``unfold`` of ``gm`` (see the module's
    text) by what it computes; ``values`` are the nodes' values on the sample. Whether any
    was."""
    changed = False
    for node in list(gm.graph.nodes):
        expand = _addcmul(node) or _unfold(gm, node, values) or _stacked_sum(node) \
            or _zeros_of(gm, node, values)
        if expand is None:
            continue
        tracer = fx.proxy.GraphAppendingTracer(gm.graph)
        replace(gm, node, partial(copy_origin, node, written=_written(gm, node)), expand,
                lambda n, t=tracer: fx.Proxy(n, t) if isinstance(n, fx.Node) else n)
        changed = True
    return settled(gm, changed, lint=False)


def scale_shift(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x * weight + bias``, learned vectors along one dimension: a Scale block with a
    bias."""
    return x * weight + bias


_ADDS = (operator.add, torch.add, "add")
_MULS = (operator.mul, torch.mul, "mul")


def fuse_scale_shifts(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each ``x * self.alpha + self.beta`` (either order of each operation; alpha and
    beta parameters of one shape, the product used only there) by :func:`scale_shift`.
    Whether any was."""
    params = dict(gm.named_parameters())
    return fuse_sums(gm, lambda node: _scale_shift(node, params, values), scale_shift)


def _scale_shift(node: fx.Node, params: dict, values: dict) -> tuple | None:
    """``(x, alpha, beta, the product)`` where ``node`` adds ``beta`` to ``x * alpha``, both
    parameters vectors along one dimension (one size other than 1) of one shape."""
    def two_args(n: Any, targets: tuple) -> bool:
        return calls(n, targets) and len(n.args) == 2 and not n.kwargs

    def vector(n: Any) -> bool:
        return isinstance(n, fx.Node) and n.op == "get_attr" and n.target in params \
            and sum(d != 1 for d in params[n.target].shape) == 1

    if not two_args(node, _ADDS):
        return None
    for product, bias in (node.args, node.args[::-1]):
        if not two_args(product, _MULS) or not vector(bias) or len(product.users) != 1:
            continue
        for x, weight in (product.args, product.args[::-1]):
            if vector(weight) and isinstance(values.get(x), torch.Tensor) \
                    and not (isinstance(x, fx.Node) and x.op == "get_attr") \
                    and params[weight.target].shape == params[bias.target].shape:
                return x, weight, bias, product
    return None


def _addcmul(node: fx.Node) -> Any:
    """``input + value * tensor1 * tensor2`` for ``torch.addcmul`` or ``Tensor.addcmul``."""
    if not (node.op == "call_function" and node.target is torch.addcmul
            or node.op == "call_method" and node.target == "addcmul"):
        return None
    names = ("input", "tensor1", "tensor2", "value")
    bound = {"value": 1, **dict(zip(names, node.args)), **node.kwargs}
    if set(bound) - set(names) or not all(n in bound for n in names[:3]) \
            or isinstance(bound["value"], fx.Node):
        return None  # out=..., or a value computed in forward: left to be refused

    def expand(proxy) -> Any:
        product = operator.mul(proxy(bound["tensor1"]), proxy(bound["tensor2"]))
        if bound["value"] != 1:
            product = operator.mul(product, bound["value"])
        return operator.add(proxy(bound["input"]), product)
    return expand


def _zeros_of(gm: fx.GraphModule, node: fx.Node, values: dict) -> Any:
    """``torch.zeros_like(x)`` of float values the model computed (DETR's first decoder input,
    zeros of its queries' shape): ``x * 0``, the same zeros where ``x`` is finite. Zeros given
    to an LSTM as its state are that module's default, imported as none."""
    if not (node.op == "call_function" and node.target is torch.zeros_like
            and len(node.args) == 1 and not node.kwargs):
        return None
    x, value = node.args[0], values.get(node.args[0])
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() \
            or not bool(torch.isfinite(value).all()) \
            or any(u.op == "call_module" and isinstance(gm.get_submodule(str(u.target)),
                                                         nn.RNNBase) for u in node.users):
        return None
    return lambda proxy: operator.mul(proxy(x), 0.0)


_REDUCTIONS = (torch.sum, torch.mean, "sum", "mean")


def _stacked_sum(node: fx.Node) -> Any:
    """``torch.stack(xs).sum(dim=0)`` (or ``.mean(0)``, ``torch.sum(torch.stack(xs), 0)``):
    the tensors added, the sum divided by their number for a mean. The stack is along a new
    first dimension, before the batch, which no block holds; its sum over that dimension is
    what a block computes."""
    if not calls(node, _REDUCTIONS):
        return None
    bound = {"keepdim": False, **dict(zip(("input", "dim", "keepdim"), node.args)),
             **node.kwargs}
    stacked = bound.get("input")
    if set(bound) - {"input", "dim", "keepdim"} or bound.get("dim") not in (0, (0,), [0]) \
            or bound["keepdim"] is not False or not calls(stacked, (torch.stack,)) \
            or len(stacked.users) != 1:
        return None
    given = {"dim": 0, **dict(zip(("tensors", "dim"), stacked.args)), **stacked.kwargs}
    tensors = given.get("tensors")
    if set(given) != {"tensors", "dim"} or given["dim"] != 0 \
            or not isinstance(tensors, (list, tuple)) or not tensors \
            or not all(isinstance(t, fx.Node) for t in tensors):
        return None
    mean = node.target in (torch.mean, "mean")

    def expand(proxy) -> Any:
        total = proxy(tensors[0])
        for tensor in tensors[1:]:
            total = operator.add(total, proxy(tensor))
        return operator.truediv(total, len(tensors)) if mean else total
    return expand


def _unfold(gm: fx.GraphModule, node: fx.Node, values: dict) -> Any:
    """Non-overlapping patches, ``kernel_size == stride`` without padding or dilation, of a
    [B, C, H, W] map whose H and W they tile: the reshape, permute and flattens."""
    given = patches(gm, node)
    if given is None:
        return None
    x, kernel, dilation, padding, stride = given
    value = values.get(x)
    if not isinstance(value, torch.Tensor) or value.dim() != 4 or stride != kernel \
            or dilation != (1, 1) or padding != (0, 0) \
            or value.shape[2] % kernel[0] or value.shape[3] % kernel[1]:
        return None
    kh, kw = kernel

    def expand(proxy) -> Any:
        t = proxy(x)
        b, c, h, w = (t.shape[i] for i in range(4))
        t = t.reshape(b, c, h // kh, kh, w // kw, kw).permute(0, 1, 3, 5, 2, 4)
        return t.flatten(1, 3).flatten(2, 3)  # [B, C·kh·kw, H/kh · W/kw], as unfold orders
    return expand


def patches(gm: nn.Module, node: fx.Node) -> tuple | None:
    """``(input, kernel, dilation, padding, stride)`` (pairs) of ``nn.Unfold`` or ``F.unfold``
    at ``node`` (of ``gm``, or of the model it traces), or None for another node."""
    if node.op == "call_module" and isinstance(gm.get_submodule(node.target), nn.Unfold):
        m = gm.get_submodule(node.target)
        settings = (m.kernel_size, m.dilation, m.padding, m.stride)
        x = node.args[0] if node.args else node.kwargs.get("input")
    elif node.op == "call_function" and node.target is F.unfold:
        names = ("input", "kernel_size", "dilation", "padding", "stride")
        bound = {"dilation": 1, "padding": 0, "stride": 1, **dict(zip(names, node.args)),
                 **node.kwargs}
        if "kernel_size" not in bound:
            return None
        settings = tuple(bound[n] for n in names[1:])
        x = bound.get("input")
    else:
        return None
    if not isinstance(x, fx.Node) or not all(isinstance(s, (int, tuple, list)) for s in settings):
        return None
    pairs = tuple(tuple(s) if isinstance(s, (tuple, list)) else (s, s) for s in settings)
    return (x, *pairs)


def unfold_hint(model: nn.Module, node: fx.Node) -> str:
    """"; fix: …" for an ``unfold`` left as it is (its patches overlap, are padded or dilated,
    or leave part of the map out), else ""."""
    given = patches(model, node)
    if given is None:
        return ""
    _, kernel, dilation, padding, stride = given
    if stride != kernel:
        why = f"its patches overlap or skip (stride {list(stride)}, kernel_size {list(kernel)})"
    elif padding != (0, 0) or dilation != (1, 1):
        why = "its patches are padded or dilated"
    else:
        why = "its patches do not tile the map (its height or width is no multiple of them)"
    return (f"; fix: {why}; patches that tile a [B, C, H, W] map (stride == kernel_size, no "
            f"padding or dilation) import as a Reshape and Permute. Patches fed to a Linear "
            f"are a convolution: nn.Conv2d(C, out, kernel_size, stride, padding) computes "
            f"unfold then Linear as one layer (the Conv2d block)")


def _written(gm: fx.GraphModule, node: fx.Node) -> str:
    if node.op == "call_module":
        return repr(gm.get_submodule(node.target))
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    return f"torch.{'nn.functional.' if node.target is F.unfold else ''}{node.target.__name__}"
