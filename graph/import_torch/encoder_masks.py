"""The masks torch's ``nn.TransformerEncoder`` (or one of its layers) is called with, read as
the TransformerEncoderLayer block takes them::

    mask = nn.Transformer.generate_square_subsequent_mask(src.size(0))   # or torch.triu(...)
    out = self.transformer_encoder(src, mask, src_key_padding_mask=ids == 0)

A mask made from sizes and numbers alone (no input's values) that hides exactly each step's
later steps, True or at most -1e4 above the diagonal (``-inf`` as torch's own), False or 0
elsewhere, is the block's ``is_causal``; ``src_key_padding_mask`` is its second input, from a
PaddingMask block. ``is_causal=True`` beside such a mask is the same mask. Any other mask is
refused, saying what imports.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn

from .modules import Unsupported

_FILLED = -1e4  # a fill at most this keeps nothing of a masked score after the softmax
_IMPORTS = ("the TransformerEncoderLayer block takes a causal mask (True, or -inf, above the "
            "diagonal and nothing else: nn.Transformer.generate_square_subsequent_mask(L), "
            "torch.triu(torch.full((L, L), float('-inf')), 1)) and "
            "src_key_padding_mask=ids == 0 (padding)")


def causal_mask(value: Any) -> bool:
    """``value`` is ``[L, L]`` and hides exactly the later steps.

    >>> causal_mask(nn.Transformer.generate_square_subsequent_mask(3))
    True
    >>> causal_mask(torch.ones(3, 3, dtype=torch.bool).triu(1))
    True
    >>> causal_mask(torch.zeros(3, 3))
    False
    """
    if not isinstance(value, torch.Tensor) or value.dim() != 2 \
            or value.shape[0] != value.shape[1]:
        return False
    later = torch.ones(value.shape, dtype=torch.bool).triu(1)
    if value.dtype == torch.bool:
        return bool(torch.equal(value, later))
    return bool((value[later] <= _FILLED).all() and (value[~later] == 0).all())


def encoder_call(node: fx.Node, module: nn.Module, values: dict,
                 made: Callable[[fx.Node], bool]) -> tuple[fx.Node, Any, bool] | None:
    """``(src, src_key_padding_mask or None, causal)`` of an encoder's (or layer's) call
    ``node``; None where it is called with its input alone or with what is not a mask (the
    importer says what), Unsupported for a mask the block does not take. ``made(n)``: ``n``
    is computed from no input's values."""
    try:
        bound = inspect.signature(module.forward).bind(*node.args, **node.kwargs).arguments
    except TypeError:
        return None
    src = bound.pop("src", None)
    mask_name = "mask" if isinstance(module, nn.TransformerEncoder) else "src_mask"
    mask, padding = bound.pop(mask_name, None), bound.pop("src_key_padding_mask", None)
    hint = bound.pop("is_causal", None)
    if not isinstance(src, fx.Node) or any(v is not None for v in bound.values()) \
            or mask is None and padding is None:
        return None
    causal = mask is not None
    if causal and not (isinstance(mask, fx.Node) and made(mask)
                       and causal_mask(values.get(mask))):
        what = "computed from the input's values" if isinstance(mask, fx.Node) \
            and not made(mask) else "not the causal one"
        raise Unsupported(f"its {mask_name} is {what}; {_IMPORTS}: give it such a mask, or "
                          f"none (every step then attends to every other)")
    if hint and not causal:
        raise Unsupported(f"it is given is_causal=True without a mask, which torch refuses "
                          f"('Need attn_mask if specifying the is_causal hint'); "
                          f"{_IMPORTS}")
    return src, padding, causal
