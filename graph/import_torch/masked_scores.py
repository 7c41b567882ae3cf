"""Attention written out with a mask on its scores that is not the causal one, as BERT's
original code and many others write it::

    mask = (ids > 0).float()                                   # or .to(dtype), a bool mask
    extended = (1.0 - mask[:, None, None, :]) * -10000.0
    scores = q @ k.transpose(-1, -2) / math.sqrt(d) + extended  # or masked_fill(pad, -inf)
    y = self.dropout(F.softmax(scores, dim=-1)) @ v

is ``F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=s)``: the mask as torch
takes it (True where kept, or the float added; a float subtracted from the scores, ``scores -
(1 - mask) * 1e9``, is its negation added), the dropout's rate kept on the call as
:mod:`.causal_attention` keeps it. :func:`masks_to_attention` rewrites the traced graph so,
where the values on the sample agree and the mask is computed from neither q nor k; then
:func:`~.attention_masks.read_attention_masks` reads the mask as it reads any ``attn_mask``:
a padding mask of token ids becomes a PaddingMask block, any other mask is refused saying what
it is. The causal masks of :mod:`.causal_attention` are fused before this runs; a mask made
from sizes alone that keeps every position or the causal ones on the sample is rewritten only
where it does so at every length (LLaMA's ``torch.full((T, T), -inf).triu(1)``, a triangle
:mod:`.causal_attention` knows), not a window wider than the traced length, which it is left
as written for (and refused).
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .causal_attention import (_FILL, _FILLED, _WHERE, _causal_everywhere, _mask_parts,
                               _scaled_product, _unpassed, _weighted_values, put_in_place)
from .attention_masks import SUBTRACTED, WRITTEN_OUT
from .functions import describe
from .rearrangements import copy_origin
from .rewriting import calls, settled

_ADD = (operator.add, torch.add, "add")
_SUB = (operator.sub, torch.sub, "sub")


def masks_to_attention(gm: fx.GraphModule, values: dict[fx.Node, Any],
                       model: nn.Module) -> bool:
    """Rewrite each attention whose scores are masked (see the module's text) to
    ``F.scaled_dot_product_attention(q, k, v, attn_mask=..., scale=...)``; ``values`` are the
    nodes' values on the sample. Whether anything was rewritten."""
    changed = False
    for node in list(gm.graph.nodes):
        if node._erased or not calls(node, _WHERE + _FILL + _ADD + _SUB):
            continue
        found = _masked_attention(node, values, model)
        if found is None or not _same_at_any_length(found[5] if found[6] is None else found[6],
                                                     found[6] is not None, values, gm):
            continue
        q, k, v, scale, rate, mask, keep_of, last = found
        with gm.graph.inserting_before(last):
            if keep_of is not None:  # masked_fill's mask is True where filled: kept is ~mask
                mask = gm.graph.call_function(operator.invert, (keep_of,))
            if calls(node, _SUB):  # scores - m is scores + (-m): torch adds a float mask
                mask = gm.graph.call_function(operator.neg, (mask,))
                copy_origin(node, [mask], describe(node))  # a refusal names the subtraction
                mask.meta[SUBTRACTED] = True
            fused = gm.graph.call_function(F.scaled_dot_product_attention, (q, k, v),
                                           {"attn_mask": mask, "scale": scale})
        # the masking's line: where a mask no block takes is refused
        put_in_place(gm, fused, last, node, rate)
        fused.meta[WRITTEN_OUT] = True  # refused masks are named as the model wrote them
        changed = True
    return settled(gm, changed)


def _masked_attention(masked: fx.Node, values: dict, model: nn.Module):
    """``(q, k, v, scale, dropout rate, attn_mask, the mask to invert or None, the final
    product)`` of the attention whose scores ``masked`` masks, or None."""
    negated = calls(masked, _SUB)
    if calls(masked, _ADD) or negated:
        if len(masked.args) != 2 or masked.kwargs:
            return None
        left, right = (_unpassed(a) for a in masked.args)
        product = _scaled_product(left, values)
        if negated and product is None:  # m - scores: the scores' negation, no mask on them
            return None
        scores, mask = (left, masked.args[1]) if product is not None else \
            (right, masked.args[0])
        product = product or _scaled_product(right, values)
        mask_value = values.get(mask)
        if not isinstance(mask_value, torch.Tensor) or not mask_value.is_floating_point():
            return None
        keep_of = None
    else:
        scores, keep, fill = _mask_parts(masked)
        product = _scaled_product(scores, values)
        fill_value = values.get(fill, fill) if isinstance(fill, fx.Node) else fill
        if isinstance(fill_value, torch.Tensor) and fill_value.numel() == 1:
            fill_value = float(fill_value)
        if not isinstance(fill_value, (int, float)) or not fill_value <= _FILLED \
                or not isinstance(values.get(keep), torch.Tensor) \
                or values[keep].dtype != torch.bool:
            return None
        mask, keep_of = (keep, None) if calls(masked, _WHERE) else (None, keep)
    if product is None:
        return None
    q, k, scale = product
    if _computed_from(keep_of if mask is None else mask, {q, k, scores}):
        return None
    rest = _weighted_values(masked, values, model)
    if rest is None:
        return None
    rate, current, v = rest
    attn_mask = ~values[keep_of] if mask is None else values[mask]
    if negated:
        attn_mask = -attn_mask
    try:
        got = F.scaled_dot_product_attention(values[q], values[k], values[v],
                                             attn_mask=attn_mask, scale=scale)
    except RuntimeError:  # a mask that does not broadcast to the scores
        return None
    expected = values.get(current)
    if not isinstance(expected, torch.Tensor) or got.shape != expected.shape \
            or not torch.allclose(got, expected, atol=1e-5, rtol=1e-4, equal_nan=True):
        return None
    return q, k, v, scale, rate, mask, keep_of, current


def _same_at_any_length(mask: fx.Node, filled: bool, values: dict, gm: fx.GraphModule) -> bool:
    """Whether the mask can be read from its values on the sample: one computed from the
    inputs (a padding mask, probed with other ids), or one made from sizes alone that keeps
    some positions other than all or the causal ones (refused, saying what it keeps), or that
    keeps the causal ones at every length. A fixed mask that keeps all or the causal positions
    at the traced length only (a window wider than it) is not. ``filled``: the mask is True
    where a score is filled (masked_fill's)."""
    placeholders = {n for n in gm.graph.nodes if n.op == "placeholder"}
    value = values.get(mask)
    if _computed_from(mask, placeholders, sizes=False) or not isinstance(value, torch.Tensor):
        return True
    kept = (~value if filled else value) if value.dtype == torch.bool else value == 0
    if kept.dim() < 2 or kept.shape[-1] != kept.shape[-2]:
        return True
    causal = torch.ones(kept.shape[-2:], dtype=torch.bool).tril()
    if not (kept.all() or torch.equal(kept, causal.expand(kept.shape)) or
            torch.equal(~kept, causal.expand(kept.shape))):
        return True
    return not kept.all() and (_causal_everywhere(mask, values) or _filled_triangle(mask))


def _filled_triangle(mask: fx.Node) -> bool:
    """LLaMA's ``torch.triu(torch.full((T, T), float("-inf")), diagonal=1)``: at most -1e4
    above the diagonal, 0 on and below it, at any length."""
    if not calls(mask, (torch.triu, "triu")) or not mask.args:
        return False
    bound = dict(zip(("input", "diagonal"), mask.args), **mask.kwargs)
    made = bound.get("input")
    if bound.get("diagonal", 0) != 1 or not isinstance(made, fx.Node) \
            or not calls(made, (torch.full, "new_full")):
        return False
    fill = made.args[1] if len(made.args) > 1 else made.kwargs.get("fill_value")
    return isinstance(fill, (int, float)) and fill <= _FILLED


def _computed_from(node: Any, sources: set, sizes: bool = True) -> bool:
    """``node`` is computed from one of ``sources`` (a mask made from the scores is none);
    without ``sizes``, from their values: not from their sizes, device or dtype alone
    (``torch.ones(T, T, device=x.device)`` with ``T = x.size(1)`` is made from sizes)."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, fx.Node) or current in seen:
            continue
        if current in sources:
            return True
        seen.add(current)
        if not sizes and (current.op == "call_method" and current.target in ("size", "dim")
                          or current.op == "call_function" and current.target is getattr
                          and current.args[1] in ("shape", "device", "dtype")):
            continue
        todo.extend(current.all_input_nodes)
    return False
