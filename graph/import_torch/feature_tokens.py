"""FT-Transformer's numerical feature tokenizer (Gorishniy et al. 2021), as rtdl and most
re-implementations write it::

    x = self.weight[None] * x[..., None]      # (B, F, 1) * (1, F, D): rtdl
    x = x + self.bias[None]
    return x.unsqueeze(-1) * self.weight + self.bias   # and the like

a ``[B, F]`` input given a last dimension of 1 and multiplied by a learned ``[F, D]`` parameter,
then (where there is one) a learned ``[F, D]`` bias added: one FeatureTokenizer block holding
both. The new dimension becomes no block (the block adds it), and the bias's add passes the
block's tensor on.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx

_MULTIPLIES = (operator.mul, operator.imul, torch.mul, "mul")
_ADDS = (operator.add, operator.iadd, torch.add, "add")
# reads of a parameter that keep its values as they are: self.weight[None], .unsqueeze(0)
_VIEWS = (operator.getitem, "unsqueeze", torch.unsqueeze, "view", "reshape", torch.reshape)


def _value(ctx, node: Any) -> Any:
    return ctx.value(node) if isinstance(node, fx.Node) else None


def held_parameter(ctx, node: Any) -> tuple[str, torch.Tensor] | None:
    """``(path, parameter)`` where ``node`` is a learned parameter read whole, maybe given
    dimensions of 1 (``self.weight``, ``self.weight[None]``, ``self.bias.unsqueeze(0)``)."""
    start = node
    while isinstance(node, fx.Node) and node.op != "get_attr":
        if node.op not in ("call_function", "call_method") or node.target not in _VIEWS:
            return None
        node = node.args[0]
    if not isinstance(node, fx.Node):
        return None
    params = dict(ctx.model.named_parameters())
    path = str(node.target)
    value = _value(ctx, start)
    if path not in params or not isinstance(value, torch.Tensor) \
            or value.numel() != params[path].numel():  # a slice of it: not the whole
        return None
    return path, params[path]


def _features(ctx, node: Any) -> fx.Node | None:
    """The ``[B, F]`` tensor that ``node`` gives a last dimension of 1 (``x[..., None]``,
    ``x.unsqueeze(-1)``, ``x[:, :, None]``; an ONNX file's Unsqueeze, a reshape), else None."""
    if not isinstance(node, fx.Node) or node.op not in ("call_function", "call_method") \
            or node.target not in (operator.getitem, "unsqueeze", torch.unsqueeze, "reshape",
                                   "view", torch.reshape) \
            or not node.args or not isinstance(node.args[0], fx.Node):
        return None
    source = node.args[0]
    before, after = _value(ctx, source), _value(ctx, node)
    if not isinstance(before, torch.Tensor) or not isinstance(after, torch.Tensor) \
            or before.dim() != 2 or tuple(after.shape) != (*before.shape, 1) \
            or held_parameter(ctx, source) is not None:
        return None
    return source


def tokenized(ctx, node: Any) -> tuple[fx.Node, str, torch.Tensor] | None:
    """``(x, path, weight)`` where ``node`` is ``x[..., None] * self.weight`` (either order)
    with ``x`` ``[B, F]`` and ``weight`` a learned ``[F, D]`` parameter; else None."""
    if not isinstance(node, fx.Node) or node.op not in ("call_function", "call_method") \
            or node.target not in _MULTIPLIES or len(node.args) != 2 or node.kwargs:
        return None
    result = _value(ctx, node)
    for first, second in (node.args, tuple(reversed(node.args))):
        x, held = _features(ctx, first), held_parameter(ctx, second)
        if x is None or held is None:
            continue
        batch, features = tuple(_value(ctx, x).shape)
        weight = held[1]
        if weight.dim() == 2 and weight.shape[0] == features and isinstance(
                result, torch.Tensor) and tuple(result.shape) == (batch, features,
                                                                  weight.shape[1]):
            return x, held[0], weight
    return None


def tokenizer_bias(ctx, node: Any, product: fx.Node) -> tuple[str, torch.Tensor] | None:
    """``(path, bias)`` where ``node`` is ``product + self.bias`` (either order), ``product``
    a tokenizer's (:func:`tokenized`) used only there and ``bias`` a learned parameter of the
    weight's ``[F, D]``; else None."""
    if not isinstance(node, fx.Node) or node.op not in ("call_function", "call_method") \
            or node.target not in _ADDS or len(node.args) != 2 or node.kwargs \
            or product not in node.args or len(product.users) != 1:
        return None
    found = tokenized(ctx, product)
    other = node.args[1] if node.args[0] is product else node.args[0]
    held = held_parameter(ctx, other)
    if found is None or held is None or held[1].dim() != 2 \
            or held[1].shape != found[2].shape:
        return None
    return held


def feeds_tokenizers(ctx, node: fx.Node) -> bool:
    """``node`` (``x[..., None]``) is used only by tokenizers' products: no block of its own."""
    return bool(node.users) and all(tokenized(ctx, user) is not None and
                                    _features(ctx, node) is not None for user in node.users)


def scope_name(node: fx.Node) -> str:
    """The id of the block: the module the product is computed in (``num_tokenizer``)."""
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack)[-1].replace(".", "_") if stack else "feature_tokenizer"
