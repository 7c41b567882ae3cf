"""Causal attention in an ONNX file, as the exporters write GPT-2's (transformers' eager and
SDPA attention alike)::

    MatMul(q · s, kᵀ · s) → Add(causal mask) → Softmax → [IsNaN → Where] → MatMul(·, v)

where ``q``, ``k`` and ``v`` are ``[batch, heads, L, E]``, the mask is made from the sequence's
length (0 where a step sees a key, -inf after it) and ``kᵀ`` is ``k`` with its last two
dimensions swapped (the dynamo exporter swaps them by a Reshape, a Transpose and a Reshape
back). It is ``F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=s²)``: one
ScaledDotProductAttention block, found by structure and kept only where its values on the
probe runs are the file's. The projections and the heads' Reshape and Transpose around it
import as blocks of their own.

Scores given a padding mask of an input instead (an ``Add`` of a mask computed from token ids
that hides the key steps where they are 0, as the ScaledDotProductAttention block's
key_padding_mask exports) are the same attention with that mask, where nn.MultiheadAttention
cannot hold it (grouped-query attention's key and value of fewer heads): the mask's steps are
left out, and a PaddingMask of the input feeds the block.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .onnx_masks import mask_kind, nan_guard

_PASSES = ("Identity", "Cast", "Dropout")
_LAYOUT = ("Reshape", "Transpose", "Identity")


class CausalAttention(nn.Module):
    """``F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)``; given a
    padding mask (nonzero at padding, a PaddingMask's), the key steps it marks left out
    instead, as ``attn_mask=(ids != 0)[:, None, None, :]`` does."""

    def __init__(self, scale: float | None, key_order: list[int] | None = None):
        super().__init__()
        self.scale, self.key_order = scale, key_order

    def forward(self, q, k, v, padding=None):
        if self.key_order is not None:  # the keys as the file has them, before kᵀ was made
            k = k.permute(*self.key_order)
        if padding is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=(padding == 0)[:, None, None, :],
                                              scale=self.scale)


def causal_attention(module, index: int, node) -> tuple | None:
    """``(CausalAttention, [q, k, v], the value it computes, padding)`` for the ``Softmax``
    ``node`` of a causal attention (see the module's text), or of one whose scores are masked
    with a padding mask of an input (``padding``: ``(the mask, the input)``; None for a causal
    one), or None."""
    from .onnx_masks import padding_of, sources

    if node.op_type != "Softmax":
        return None
    scale, scores, masked, padding = 1.0, node.input[0], False, None
    while True:
        at = module.producer.get(scores)
        if at is None:
            return None
        before = module.nodes[at]
        runtime = [i for i in before.input if module.runtime(i)]
        if before.op_type in ("Mul", "Div") and len(runtime) == 1:
            number = _number(module, next(i for i in before.input if i != runtime[0]))
            if number is None or before.op_type == "Div" and (runtime[0] != before.input[0]
                                                             or number == 0):
                return None
            scale *= number if before.op_type == "Mul" else 1.0 / number
            scores = runtime[0]
        elif before.op_type == "Add" and len(runtime) == 2 and not masked:
            # a padding mask computed from an input, added: (ids == 0) filled with -3.4e38
            found = [(mask, other) for mask, other in (runtime, runtime[::-1])
                     if _reaches_product(module, other)
                     and len(inputs := sources(module, mask)) == 1
                     and padding_of(module, mask, inputs[0], additive=True)]
            if len(found) != 1:
                return None
            padding = (found[0][0], sources(module, found[0][0])[0])
            masked, scores = True, found[0][1]
        elif before.op_type == "Add" and len(runtime) == 1 and not masked:
            mask = next(i for i in before.input if i != runtime[0])
            if mask_kind(module, mask, additive=True) != "causal":
                return None
            masked, scores = True, runtime[0]
        elif before.op_type == "Where" and len(runtime) == 1 and not masked and \
                before.input[1] == runtime[0]:
            fill = _number(module, before.input[2])
            if fill is None or fill > -1e4 or \
                    mask_kind(module, before.input[0], additive=False) != "causal":
                return None
            masked, scores = True, runtime[0]
        else:
            break
    if not masked or before.op_type != "MatMul" or len(runtime) != 2:
        return None
    q, scale = _unscaled(module, before.input[0], scale)
    k_t, scale = _unscaled(module, before.input[1], scale)
    k = _swapped(module, k_t)
    weights = nan_guard(module, node.output[0]) or node.output[0]
    while True:
        users = module.consumers.get(weights, [])
        if len(users) != 1:
            return None
        after = module.nodes[users[0]]
        if after.op_type not in _PASSES:
            break
        weights = after.output[0]
    if after.op_type != "MatMul" or list(after.input[:1]) != [weights] or \
            not module.runtime(after.input[1]):
        return None
    v, out = after.input[1], after.output[0]
    head = module.probes[0][q].shape[-1]
    found = None if math.isclose(scale, 1 / math.sqrt(head), rel_tol=1e-6) else \
        float(f"{scale:.7g}")
    order = None
    if k is None:  # kᵀ a Transpose of the keys (the TorchScript exporter's): k by one permute
        k, order = _transposed(module, k_t)
    layer = CausalAttention(found, order)
    for probe in module.probes:
        if any(n not in probe or probe[n].ndim < 3 for n in (q, k, v, out)):
            return None
        given = None if padding is None else torch.as_tensor(probe[padding[1]] == 0).long()
        with torch.no_grad():
            got = layer(*(torch.as_tensor(probe[n]) for n in (q, k, v)), given)
        want = torch.as_tensor(probe[out])
        if got.shape != want.shape or not torch.allclose(got, want, atol=1e-5, rtol=1e-4):
            return None
    return layer, [q, k, v], out, padding


def _reaches_product(module, name: str) -> bool:
    """``name`` is a MatMul of two computed tensors (attention scores), or one scaled."""
    for _ in range(3):
        at = module.producer.get(name)
        if at is None:
            return False
        node = module.nodes[at]
        runtime = [i for i in node.input if module.runtime(i)]
        if node.op_type == "MatMul" and len(runtime) == 2:
            return True
        if node.op_type not in ("Mul", "Div") or len(runtime) != 1:
            return False
        name = runtime[0]
    return False


def _number(module, name: str) -> float | None:
    value = module.consts.get(name)
    if value is None or np.size(value) != 1:
        return None
    return float(np.asarray(value).reshape(-1)[0])


def _unscaled(module, name: str, scale: float) -> tuple[str, float]:
    """``name`` before the multiplications by one number that made it, and the scale with
    them."""
    while True:
        at = module.producer.get(name)
        if at is None or module.nodes[at].op_type not in ("Mul", "Div"):
            return name, scale
        node = module.nodes[at]
        runtime = [i for i in node.input if module.runtime(i)]
        number = _number(module, next((i for i in node.input if i not in runtime), ""))
        if len(runtime) != 1 or number is None or len(module.consumers.get(name, [])) != 1 or \
                node.op_type == "Div" and (runtime[0] != node.input[0] or number == 0):
            return name, scale
        scale *= number if node.op_type == "Mul" else 1.0 / number
        name = runtime[0]


def _swapped(module, k_t: str) -> str | None:
    """The value that ``k_t`` is with its last two dimensions swapped, found back through
    Reshape and Transpose (or None)."""
    name = k_t
    for _ in range(6):
        at = module.producer.get(name)
        if at is None or module.nodes[at].op_type not in _LAYOUT:
            return None
        name = module.nodes[at].input[0]
        if not module.runtime(name):
            return None
        if all(name in p and k_t in p and p[name].ndim >= 3 and
               np.array_equal(np.swapaxes(p[name], -1, -2), p[k_t]) for p in module.probes):
            return name
    return None


def _transposed(module, k_t: str) -> tuple[str, list[int] | None]:
    """``(y, order)`` where ``k_t`` is ``Transpose(y)``: ``y.permute(order)`` is the keys, the
    transpose with its last two dimensions swapped back; else ``(k_t, order)`` swapping them."""
    at = module.producer.get(k_t)
    node = module.nodes[at] if at is not None else None
    rank = module.probes[0][k_t].ndim
    if node is not None and node.op_type == "Transpose" and module.runtime(node.input[0]):
        perm = [int(d) for d in next((a.ints for a in node.attribute if a.name == "perm"),
                                     range(rank - 1, -1, -1))]
        return node.input[0], perm[:-2] + [perm[-1], perm[-2]]
    return k_t, list(range(rank - 2)) + [rank - 1, rank - 2]
