"""What to change in the model where a function it calls has no block: the words after
"no LayerLoom block does this" for the calls users meet most (``x.repeat``, ``torch.roll``,
``torch.zeros_like``, ``torch.randn_like`` outside ``if self.training:``; token type ids of zeros used for more than their lookup, which alone
imports: :mod:`.token_types`).

>>> no_block_hint(model, node_of_x_repeat)                       # doctest: +SKIP
'; fix: x.repeat(...) copies the tensor along dimensions, and no block does; ...'
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

_MADE = {"zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "new_zeros",
         "new_ones", "new_full", "empty", "empty_like"}
_RANDOM = {"randn", "randn_like", "rand", "rand_like", "randint", "randint_like", "normal",
           "normal_", "bernoulli", "multinomial", "uniform_", "poisson"}
_SHAPING = ("expand", "expand_as", "view", "reshape", "unsqueeze", "to", "long", "contiguous")


def no_block_hint(model: nn.Module, node: fx.Node, value: Any = None) -> str:
    """"; fix: …" for a function without a block that users call often, else "". ``value``:
    the node's result on the sample input."""
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    if name in _MADE:
        embedding = _embedding_of(model, node)
        if embedding and _one_type(value):
            return (f"; fix: it makes token type ids all alike for {embedding}, and they are "
                    f"used for more than that lookup; ids of one type that {embedding} alone "
                    f"looks up, added to the token embeddings (e = e + "
                    f"self.{embedding}(torch.zeros_like(input_ids))), import as a "
                    f"TokenTypeEmbedding block: make the other uses' tensor apart")
        return (f"; fix: torch.{name} makes a tensor in forward, and no block makes one; keep "
                f"fixed values in a buffer made in __init__, and leave the tensor out where "
                f"it changes nothing (zeros added, ones multiplied)")
    if name == "roll":
        return ("; fix: torch.roll shifts a tensor cyclically, and no block does; Swin's "
                "shifted windows (torch.roll, window_partition, the attention with its mask, "
                "window_reverse and the roll back) are one ShiftedWindowAttention block, which "
                "shifts, masks and puts back the windows itself: call torchvision's "
                "ShiftedWindowAttention(dim, window_size=[w, w], shift_size=[s, s], num_heads) "
                "(or its SwinTransformerBlock) on the [B, H, W, C] map in their place")
    if name in ("repeat", "tile"):
        return (f"; fix: x.{name}(...) copies the tensor along dimensions, and no block does; "
                f"where the copies are added to or multiplied with another tensor, leave the "
                f"{name} out: Add and Multiply broadcast (a [1, C] tensor with a [B, C] one)")
    if name in ("pow", "sqrt", "rsqrt", "square"):
        stack = node.meta.get("nn_module_stack") or {}
        scope = list(stack)[-1] if stack else ""
        owner = type(model.get_submodule(scope)).__name__ if scope else ""
        if ("norm" in owner.lower() or "norm" in scope.lower()) and not _centred(node):
            return (f"; fix: {scope} ({owner}) is an RMS norm written by hand (no mean "
                    f"subtracted); nn.RMSNorm(D, eps) or F.rms_norm(x, (D,), self.weight, eps) "
                    f"imports as the RMSNorm block, as do transformers' T5LayerNorm and "
                    f"LlamaRMSNorm and Meta's llama RMSNorm (x * torch.rsqrt(x.pow(2).mean(-1, "
                    f"keepdim=True) + eps) times self.weight)")
        if "norm" in owner.lower() or "norm" in scope.lower():
            return (f"; fix: {scope} ({owner}) normalises by hand, not as LayerNorm does; "
                    f"ConvNeXt's LayerNorm over the channels of a [B, C, H, W] map "
                    f"(data_format='channels_first': u = x.mean(1, keepdim=True), s = (x - "
                    f"u).pow(2).mean(1, keepdim=True), (x - u) / torch.sqrt(s + eps), then "
                    f"weight[:, None, None] * x + bias[:, None, None]) imports as one "
                    f"LayerNorm2d block with its weights, as does x.permute(0, 2, 3, 1), "
                    f"F.layer_norm(x, (C,), self.weight, self.bias, self.eps), .permute(0, 3, "
                    f"1, 2); where a LayerNorm is meant, write it so (eps inside the root, the "
                    f"variance without Bessel's correction)")
        return (f"; fix: {name} has no block of its own; a norm written by hand is "
                f"F.layer_norm (LayerNorm) or F.normalize")
    if name in _RANDOM:
        return (f"; fix: {name} draws new random values at every call, in evaluation too, so "
                f"no design gives the model's outputs; draw them only while training, as a "
                f"VAE's reparameterisation does (if self.training: return mu + "
                f"torch.randn_like(std) * std, then return mu): the import is the model in "
                f"evaluation")
    return ""


def _centred(node: fx.Node) -> bool:
    """The value ``node`` squares (or roots) is a difference, ``x - u``: a variance, as
    LayerNorm's, not a mean of squares, as RMSNorm's."""
    source = node.args[0] if node.args else None
    while isinstance(source, fx.Node) and source.op == "call_method" \
            and source.target in ("to", "float", "type_as", "mean") and source.args:
        source = source.args[0]
    return isinstance(source, fx.Node) and (
        source.op == "call_method" and source.target == "sub"
        or source.op == "call_function" and getattr(source.target, "__name__", "") == "sub")


def _one_type(value: Any) -> bool:
    """``value`` is an integer tensor of ids all alike."""
    return isinstance(value, torch.Tensor) and not value.is_floating_point() \
        and value.dtype != torch.bool and bool(value.numel()) \
        and bool((value == value.reshape(-1)[0]).all())


def _embedding_of(model: nn.Module, node: fx.Node) -> str | None:
    """The path of an ``nn.Embedding`` that looks up ``node`` (through reshapes), or None."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        for user in current.users:
            if user in seen:
                continue
            seen.add(user)
            if user.op == "call_module" and user.args and user.args[0] is current \
                    and isinstance(model.get_submodule(str(user.target)), nn.Embedding):
                return str(user.target)
            if user.op == "call_method" and user.target in _SHAPING:
                todo.append(user)
    return None
