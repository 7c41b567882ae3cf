"""A layer written from scratch with its bias: ``x @ self.W + self.b`` (``torch.matmul(x,
self.W) + self.b``, ``x @ self.W.T + self.b``), as tutorials write a linear layer (d2l's
``torch.matmul(X, self.W) + self.b``), is :func:`affine`, which imports as one Linear with a
bias. The product alone, ``x @ self.W``, is a Linear without one (``functions._by_weight``).

Only where the product is used by the add alone, ``W`` is a matrix and ``b`` a vector of the
product's width (``[out]``, or ``[1, out]``), both parameters or both buffers, the model's own:
anything else is left as written, to be imported or refused as before.

A bias added to a sum of products, as a recurrent cell written out adds it (d2l's GRU gate
``torch.matmul(X, W_xz) + torch.matmul(H, W_hz) + b_z``), goes with the last product it can:
``(X @ W_xz) + (H @ W_hz + b_z)``, a Linear without bias and one with, added.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx

from .rewriting import calls, fuse_sums

_ADDS = (operator.add, torch.add, "add")
_MATMULS = (operator.matmul, torch.matmul, "matmul")


def affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x @ weight + bias``: a Linear with a bias."""
    return x @ weight + bias


def fuse_affines(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each ``x @ self.W + self.b`` of ``gm`` (see the module's text) by
    :func:`affine`; ``values`` are the nodes' values on the sample. Whether any was."""
    kept = {**dict(gm.named_parameters()), **dict(gm.named_buffers())}
    buffers = {name for name, _ in gm.named_buffers()}
    find = lambda node: _affine(node, kept, buffers, values)  # noqa: E731 - used twice
    for node in list(gm.graph.nodes):
        _bias_to_a_product(node, find)
    return fuse_sums(gm, find, affine)


def _bias_to_a_product(node: fx.Node, find) -> None:
    """Where ``node`` is ``(p + q) + b`` (or ``b + (p + q)``), the sum used by it alone and
    ``p`` or ``q`` a product that ``b`` is the bias of (``find``), make it ``(product + b) +
    other``: the same terms, added in another order (equal to rounding)."""
    if not calls(node, _ADDS) or len(node.args) != 2 or node.kwargs:
        return
    for total, bias in (node.args, node.args[::-1]):
        if not calls(total, _ADDS) or len(total.args) != 2 or total.kwargs or \
                len(total.users) != 1 or not isinstance(bias, fx.Node) or \
                bias.op != "get_attr" or find(total) is not None:  # a product with its bias
            continue
        for product, other in (total.args[::-1], total.args):
            saved = total.args
            total.args = (product, bias)
            if find(total) is not None:
                node.args = (total, other)
                total.prepend(bias)  # the bias's get_attr may follow the sum in the graph
                return
            total.args = saved


def _affine(node: fx.Node, kept: dict, buffers: set, values: dict) -> tuple | None:
    """``(x, W or W's transpose, b, the product)`` where ``node`` adds ``b`` to ``x @ W``."""
    def two_args(n: Any, targets: tuple) -> bool:
        return calls(n, targets) and len(n.args) == 2 and not n.kwargs

    def attr(n: Any) -> str | None:
        return n.target if isinstance(n, fx.Node) and n.op == "get_attr" and \
            n.target in kept else None

    if not two_args(node, _ADDS):
        return None
    for product, bias in (node.args, node.args[::-1]):
        if not two_args(product, _MATMULS) or len(product.users) != 1 or attr(bias) is None:
            continue
        x, weight = product.args
        turned = isinstance(weight, fx.Node) and _turned(weight)
        matrix = attr(weight.args[0] if turned else weight)
        value = values.get(x)
        if matrix is None or attr(x) is not None or not isinstance(value, torch.Tensor) \
                or (matrix in buffers) != (bias.target in buffers):
            continue
        held, vector = kept[matrix], kept[bias.target]
        if held.dim() != 2:
            continue
        width, out = (held.shape[1], held.shape[0]) if turned else held.shape
        if value.dim() >= 2 and value.shape[-1] == width and vector.numel() == out \
                and vector.shape[-1] == out:
            return x, weight, bias, product
    return None


def turned_weight(node: fx.Node) -> bool:
    """``self.W.T`` (``.t()``, ``.transpose(0, 1)``) used by products alone: the weight a Linear
    holds as it is (``functions._by_weight``), read there, no block of its own."""
    return isinstance(node, fx.Node) and _turned(node) and bool(node.users) and all(
        calls(user, _MATMULS) or user.op == "call_function" and user.target is affine
        for user in node.users)


def _turned(node: fx.Node) -> bool:
    """``node`` is ``W.T``, ``W.t()`` or ``W.transpose(0, 1)`` of a get_attr ``W``."""
    return isinstance(node.args[0] if node.args else None, fx.Node) and \
        node.args[0].op == "get_attr" and transposes(node)


def transposes(node: Any) -> bool:
    """``node`` is ``a.T``, ``a.t()`` or ``a.transpose(0, 1)`` (the two last dimensions of a
    matrix, by any count)."""
    if not isinstance(node, fx.Node):
        return False
    if node.op == "call_function" and node.target is getattr:
        return node.args[1:] == ("T",)
    return calls(node, ("t",)) or calls(node, ("transpose",)) and sorted(
        d % 2 for d in node.args[1:] if isinstance(d, int)) == [0, 1] and len(node.args) == 3


def size_read(node: fx.Node) -> bool:
    """``W.shape``, ``W.size(0)``, ``W.dim()``: a number read from a weight, not a use of its
    values (d2l's ``X.reshape((-1, self.W1.shape[0]))``)."""
    return node.op == "call_function" and node.target is getattr and \
        node.args[1:] in (("shape",), ("dtype",), ("device",)) or \
        calls(node, ("size", "dim"))
