"""What to change in the model where a function it calls has no block: the words after
"no LayerLoom block does this" for the calls users meet most (``x.repeat``, ``torch.exp``,
``torch.zeros_like``), and for token type ids that are all zeros (Hugging Face's
BERT keeps them in a buffer), which look up one row of a table for every step.

>>> no_block_hint(model, node_of_torch_exp)                      # doctest: +SKIP
'; fix: ... a softmax written by hand ... is F.softmax(x, dim) ...'
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

_MADE = {"zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "new_zeros",
         "new_ones", "new_full", "empty", "empty_like"}
_SHAPING = ("expand", "expand_as", "view", "reshape", "unsqueeze", "to", "long", "contiguous")


def token_types(model: nn.Module, path: str, ids: Any,
                lead: str = "its ids are all 0 (token type ids kept as zeros), so it") \
        -> str | None:
    """Why ``model``'s ``nn.Embedding`` at ``path``, looked up with ``ids`` that are all zeros
    and not computed from the inputs (a buffer, ``torch.zeros_like(input_ids)``), has no block,
    and the rewrite that keeps the outputs; None where ``ids`` are not all zeros. ``lead``: the
    words before "adds row 0…"."""
    if not isinstance(ids, torch.Tensor) or ids.is_floating_point() or not ids.numel() \
            or ids.any():
        return None
    others = [n for n, m in model.named_modules() if isinstance(m, nn.Embedding) and n != path]
    position = next((n for n in others if "pos" in n.lower()), None)
    table = f"model.{position}.weight" if position else "the position embedding's table"
    return (f"{lead} adds row 0 of its table to every step: one learned vector, which no "
            f"block adds; add that row to {table} in the model and leave {path} out of "
            f"forward (with torch.no_grad(): {table} += model.{path}.weight[0]), which gives "
            f"the same outputs")


def no_block_hint(model: nn.Module, node: fx.Node, value: Any = None) -> str:
    """"; fix: …" for a function without a block that users call often, else "". ``value``:
    the node's result on the sample input."""
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    if name in _MADE:
        embedding = _embedding_of(model, node)
        types = embedding and token_types(
            model, embedding, value, f"it makes token type ids of zeros for {embedding}, "
                                     f"which then")
        if types:
            return f"; fix: {types}"
        return (f"; fix: torch.{name} makes a tensor in forward, and no block makes one; keep "
                f"fixed values in a buffer made in __init__, and leave the tensor out where "
                f"it changes nothing (zeros added, ones multiplied)")
    if name in ("repeat", "tile"):
        return (f"; fix: x.{name}(...) copies the tensor along dimensions, and no block does; "
                f"where the copies are added to or multiplied with another tensor, leave the "
                f"{name} out: Add and Multiply broadcast (a [1, C] tensor with a [B, C] one)")
    if name in ("pow", "sqrt", "rsqrt", "square"):
        stack = node.meta.get("nn_module_stack") or {}
        scope = list(stack)[-1] if stack else ""
        owner = type(model.get_submodule(scope)).__name__ if scope else ""
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
    if name == "exp":
        return ("; fix: e^x has no block of its own: a softmax written by hand "
                "(x.exp() / x.exp().sum(dim, keepdim=True)) is F.softmax(x, dim) (the Softmax "
                "block), log(1 + e^x) is F.softplus (Softplus), and a VAE's "
                "std = torch.exp(0.5 * logvar) only serves sampling: return the mean in "
                "evaluation")
    return ""


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
