"""``F.scaled_dot_product_attention(q, k, v, attn_mask=mask)``: what the mask means, read from
its values, and the attention rewritten as the ScaledDotProductAttention block takes it.

A mask is read as torch reads it: a bool mask is True where a score is kept; a float mask is
added to the scores, 0 where kept and at most -1e4 where not (nothing is left of such a score
after the softmax). Then:

* a mask that keeps every score is no mask;
* one that keeps each query step and the key steps before it is causal (``is_causal=True``):
  ``self.mask[:L, :L]`` of a ``torch.tril`` buffer, ``torch.ones(L, L).tril().bool()``, a
  float ``triu`` of ``-inf``;
* one computed from an input of token ids that keeps exactly the key steps whose id is not
  the padding id (``(ids != 0)[:, None, None, :]``, ``(1.0 - attention_mask[:, None, None,
  :].float()) * -1e9``), also with the causal steps, is a PaddingMask block (``ids == 0``)
  feeding the attention's key_padding_mask.

The values decide, on the sample and on probe runs: with the padding id at the end of one
sample's ids and at the start of another's, and an input of ones and zeros (an
``attention_mask``). Any other mask (a sliding window, a bias on the scores such as ALiBi) is
left as it is, and refused by the import with what it is (:data:`REFUSED`).
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from ..modules import ScaledDotProductAttention
from .rewriting import calls, erase_unused

REFUSED = "layerloom_mask_refused"  # node meta: why an attention's attn_mask was not read
# node meta: the mask is the negation of what the model subtracts from its scores (scores - m)
SUBTRACTED = "layerloom_mask_subtracted"
# node meta: the call stands for an attention the model wrote out (scores, mask, softmax, @ v)
WRITTEN_OUT = "layerloom_attention_written_out"
# what imports of a mask on the scores of an attention the model wrote out
WRITTEN_OUT_MASKS = ("an attention written out imports with no mask on its scores, the causal "
                     "one or a padding mask from token ids ((ids != pad_id)[:, None, None, :], "
                     "with or without the causal steps); fix: leave it out, or write such a "
                     "mask")
_SDPA = (F.scaled_dot_product_attention,)
_NAMES = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
_FILLED = -1e4  # a fill at most this keeps nothing of a masked score after the softmax


def padded_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     key_padding_mask: torch.Tensor, dropout_p: float = 0.0,
                     is_causal: bool = False, scale: float | None = None,
                     enable_gqa: bool = False) -> torch.Tensor:
    """What the ScaledDotProductAttention block computes with a key_padding_mask (nonzero at
    padding): the rewritten attention's call in the traced graph, which the import maps to the
    block."""
    attention = ScaledDotProductAttention(dropout_p, is_causal, scale, enable_gqa)
    return attention.eval()(query, key, value, key_padding_mask)


def read_attention_masks(gm: fx.GraphModule, values: dict[fx.Node, Any],
                         samples: list[torch.Tensor], run) -> bool:
    """Rewrite each ``F.scaled_dot_product_attention`` given an ``attn_mask`` whose values say
    what it is (see the module's text); mark the others with :data:`REFUSED`. ``values``: the
    nodes' values on ``samples``; ``run(gm, inputs)`` gives them for other inputs. Whether
    anything was rewritten."""
    changed = False
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    for node in list(gm.graph.nodes):
        if node._erased or not calls(node, _SDPA):
            continue
        bound = _bound(node)
        if bound is None or not isinstance(bound.get("attn_mask"), fx.Node) \
                or bound.get("is_causal") is True:
            continue
        try:
            causal, padding = _read(gm, bound, values, samples, placeholders, run)
        except _Refused as exc:
            node.meta[REFUSED] = str(exc)
            continue
        _rewrite(gm, node, bound, causal, padding)
        changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return changed


class _Refused(Exception):
    """The mask is none that a block takes; the message says what it is."""


def _bound(node: fx.Node) -> dict | None:
    """The call's arguments by name; None where it has others (enable_gqa), left to the import
    to refuse."""
    if len(node.args) > len(_NAMES) or set(node.kwargs) - set(_NAMES):
        return None
    bound = {"attn_mask": None, "dropout_p": 0.0, "is_causal": False, "scale": None,
             "enable_gqa": False}
    bound.update(zip(_NAMES, node.args))
    bound.update(node.kwargs)
    return bound


def _read(gm: fx.GraphModule, bound: dict, values: dict, samples: list[torch.Tensor],
          placeholders: list[fx.Node], run) -> tuple[bool, tuple[fx.Node, int] | None]:
    """``(causal, (ids input, padding id) or None)`` for the attention's mask, or _Refused."""
    mask = bound["attn_mask"]
    query, key = values.get(bound["query"]), values.get(bound["key"])
    if not isinstance(query, torch.Tensor) or not isinstance(key, torch.Tensor):
        raise _Refused("its query or key is not a tensor")
    scores = (*query.shape[:-1], key.shape[-2])
    if all(torch.equal(other, values[mask]) for other in _elsewhere(gm, mask, samples, run)):
        try:
            kept = _kept(values[mask], scores, mask.meta.get(SUBTRACTED, False))
        except _Refused as exc:
            raise _Refused(f"{exc}{_alibi(values[mask], scores) or _learned_table(gm, mask)}") \
                from None
        if kept.all():
            return False, None
        if torch.equal(kept, _causal(scores)):
            return True, None
        raise _Refused("it keeps fixed positions that are neither every one nor the causal "
                       "ones (each step and those before it): a window or a pattern of "
                       "positions, which no block takes")
    for index, ids in enumerate(placeholders):
        sample = samples[index]
        if sample.dtype != torch.int64 or sample.dim() != 2 or sample.shape[1] != scores[-1]:
            continue
        for pad in _candidates(bound["attn_mask"]):
            for probes in (_padded(sample, pad, ones=False), _padded(sample, pad, ones=True)):
                if probes is None:
                    continue
                masks = [_probed(gm, mask, samples, index, p, run) for p in probes]
                for causal in (False, True):
                    if all(_agrees(m, p, pad, causal, scores) for m, p in zip(masks, probes)):
                        return causal, (ids, pad)
    raise _Refused("it is computed from the inputs, but is not a padding mask of one input of "
                   "token ids (it should keep exactly the key steps whose id is not the "
                   "padding id, as (ids != 0)[:, None, None, :] does, with or without the "
                   "causal steps)")


def _alibi(bias: Any, scores: tuple[int, ...]) -> str:
    """ALiBi's bias (ofirpress' attention_with_linear_biases, BLOOM's, MPT's): per head, a
    slope times the distance between the steps (``j - i``, ``-|i - j|``, or the key's
    position ``j``, the same after the softmax), where the causal mask leaves scores: a
    sentence naming it and its slopes, else ""."""
    if not isinstance(bias, torch.Tensor) or not bias.is_floating_point() \
            or len(scores) < 3 or scores[-1] != scores[-2] or scores[-1] < 3:
        return ""
    try:  # BLOOM's slope * arange(L) is [H, 1, L]: broadcast to the scores, one sample's
        heads = torch.broadcast_to(bias, scores).reshape(-1, *scores[-3:])[0]
    except RuntimeError:
        return ""
    steps = scores[-1]
    i, j = torch.arange(steps)[:, None], torch.arange(steps)[None, :]
    for distance in ((j - i).float(), -(j - i).abs().float(), j.expand(steps, steps).float()):
        slopes = []
        for head in heads:
            kept = (head > _FILLED) & (distance != 0)
            if not kept.any():
                break
            slope = float((head[kept] * distance[kept]).sum() / (distance[kept] ** 2).sum())
            if slope == 0 or not torch.allclose(head[head > _FILLED],
                                                slope * distance[head > _FILLED], atol=1e-5):
                break
            slopes.append(slope)
        else:
            shown = ", ".join(f"{abs(m):.4g}" for m in slopes[:4]) + \
                (", …" if len(slopes) > 4 else "")
            return (f"; it is ALiBi's linear bias, each head's slope ({shown}) times the "
                    f"distance between the steps, which no attention block adds: a model with "
                    f"ALiBi does not import; one with absolute positions does (a learned "
                    f"nn.Embedding of torch.arange's positions added to the token embeddings: "
                    f"PositionalEmbedding)")
    return ""


def _learned_table(gm: fx.GraphModule, mask: fx.Node) -> str:
    """A fixed bias made of the model's parameters (Swin's ``self.table[self.index.view(-1)]``):
    a sentence saying what it is and what imports, else ""."""
    parameters = dict(gm.named_parameters())
    learned, seen, todo, looked_up = [], set(), [mask], False
    while todo and len(seen) < 200:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.op == "get_attr" and str(node.target) in parameters:
            learned.append(f"'{node.target}' {list(parameters[str(node.target)].shape)}")
        looked_up = looked_up or node.target in (operator.getitem, "index_select", "gather",
                                                 torch.index_select, torch.gather) \
            and any(isinstance(a, fx.Node) for a in node.args[1:])
        todo.extend(node.all_input_nodes)
    if not learned:
        return ""
    if not looked_up:  # a parameter of the scores' own shape, put on them as it is
        return (f"; it is the learned bias {', '.join(sorted(learned))}, one value per score "
                f"of the traced length, which no attention block holds")
    return (f"; it is the learned table {', '.join(sorted(learned))} looked up by positions: a "
            f"relative position bias, as Swin's window attention adds it. torchvision's "
            f"ShiftedWindowAttention(dim, window_size=[w, w], shift_size=[s, s], num_heads), "
            f"which holds Swin's table, imports (the ShiftedWindowAttention block): call it on "
            f"the [B, H, W, C] map in place of the window partition, this attention and the "
            f"window reverse")


def _probed(gm: fx.GraphModule, mask: fx.Node, samples: list[torch.Tensor], index: int,
            probe: torch.Tensor, run) -> Any:
    """The mask's value with input ``index`` given ``probe``; None where the model fails on
    it (no evidence that the mask is a padding one)."""
    try:
        return run(gm, [probe if i == index else s for i, s in enumerate(samples)])[mask]
    except Exception:  # noqa: BLE001 - the model's own code refused the probe
        return None


def _kept(mask: Any, scores: tuple[int, ...], subtracted: bool = False) -> torch.Tensor:
    """Where ``mask`` keeps a score, broadcast to the scores' shape, or _Refused.
    ``subtracted``: the model subtracts ``-mask`` from its scores (the refusal says so)."""
    if not isinstance(mask, torch.Tensor):
        raise _Refused("it is not a tensor")
    if mask.dtype == torch.bool:
        kept = mask
    elif mask.is_floating_point():
        if not torch.all((mask == 0) | (mask <= _FILLED)):
            raise _Refused("it subtracts values other than 0 and inf (or at least 1e4) from "
                           "the scores (scores - bias): a bias on them (ALiBi's distances, "
                           "relative positions), not a mask; no block subtracts one"
                           if subtracted else
                           "it adds values other than 0 and -inf (or at most -1e4) to the "
                           "scores: a bias on them (ALiBi, relative positions), not a mask; "
                           "no block adds one")
        kept = mask == 0
    else:
        raise _Refused(f"it is a {mask.dtype} tensor; torch takes a bool mask (True where "
                       f"kept) or a float one (added to the scores)")
    try:
        return torch.broadcast_to(kept, scores)
    except RuntimeError:
        raise _Refused(f"its shape {list(mask.shape)} does not broadcast to the scores' "
                       f"{list(scores)}") from None


def _causal(scores: tuple[int, ...]) -> torch.Tensor:
    """Each query step keeps itself and the key steps before it, as ``is_causal=True``."""
    return torch.broadcast_to(torch.ones(scores[-2:], dtype=torch.bool).tril(), scores)


def _agrees(mask: Any, ids: torch.Tensor, pad: int, causal: bool,
            scores: tuple[int, ...]) -> bool:
    try:
        kept = _kept(mask, scores)
    except _Refused:
        return False
    keep = (ids != pad).reshape(ids.shape[0], *[1] * (len(scores) - 2), ids.shape[1])
    expected = torch.broadcast_to(keep, scores)
    if causal:
        expected = expected & _causal(scores)
    return bool(torch.equal(kept, expected))


def _elsewhere(gm: fx.GraphModule, mask: fx.Node, samples: list[torch.Tensor], run):
    """The mask's values for other inputs of the samples' shapes: drawn again, and with every
    token id each padding id tried (a padding mask keeps other steps then)."""
    variants = [[_redrawn(s) for s in samples]]
    for pad in _candidates(mask):
        variants.append([torch.full_like(s, pad) if s.dtype == torch.int64 else s
                         for s in samples])
    for inputs in variants:
        try:
            yield run(gm, inputs)[mask]
        except Exception:  # noqa: BLE001 - the model refuses such ids: no evidence either way
            continue


def _redrawn(sample: torch.Tensor) -> torch.Tensor:
    """Other values of ``sample``'s shape and kind (token ids stay among the sample's)."""
    generator = torch.Generator().manual_seed(7)
    if sample.is_floating_point():
        return torch.randn(sample.shape, generator=generator)
    high = int(sample.max()) + 1
    return torch.randint(0, max(high, 2), sample.shape, generator=generator)


def _padded(sample: torch.Tensor, pad: int, ones: bool) -> list[torch.Tensor] | None:
    """Probes of an input of token ids with padding: the padding id at the end of the first
    sample and at the start of the second, nowhere else (``ones``: every other step is 1, an
    attention_mask of ones and zeros; only for padding id 0)."""
    if ones and pad != 0:
        return None
    steps = sample.shape[1]
    if steps < 2 or sample.shape[0] < 2:
        return None
    other = torch.ones_like(sample) if ones else torch.where(sample == pad, pad + 1, sample)
    tail, head = other.clone(), other.clone()
    tail[0, steps - max(1, steps // 3):] = pad
    head[1, :max(1, steps // 3)] = pad
    head[0, steps - 1] = pad
    return [tail, head]


def _candidates(mask: fx.Node) -> list[int]:
    """Padding ids to try: 0, the whole numbers the mask's computation compares with, 1."""
    found, seen, todo = [0], set(), [mask]
    while todo and len(seen) < 64:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for arg in (*node.args, *node.kwargs.values()):
            if isinstance(arg, fx.Node):
                todo.append(arg)
            elif isinstance(arg, int) and not isinstance(arg, bool) and arg not in found \
                    and node.target in (operator.eq, operator.ne, torch.eq, torch.ne, "eq",
                                        "ne"):
                found.append(arg)
    return found + ([1] if 1 not in found else [])


def _rewrite(gm: fx.GraphModule, node: fx.Node, bound: dict, causal: bool,
             padding: tuple[fx.Node, int] | None) -> None:
    kwargs = {"dropout_p": bound["dropout_p"], "is_causal": causal, "scale": bound["scale"]}
    if bound["enable_gqa"]:
        kwargs["enable_gqa"] = True
    q, k, v = bound["query"], bound["key"], bound["value"]
    with gm.graph.inserting_before(node):
        if padding is None:
            made = gm.graph.call_function(F.scaled_dot_product_attention, (q, k, v), kwargs)
        else:
            ids, pad = padding
            marks = gm.graph.call_function(operator.eq, (ids, pad))
            marks.meta.update({k: v for k, v in node.meta.items()
                               if k not in ("val", "tensor_meta")})
            made = gm.graph.call_function(padded_attention, (q, k, v, marks), kwargs)
    made.meta.update({k: v for k, v in node.meta.items() if k not in ("val", "tensor_meta")})
    node.replace_all_uses_with(made)
    erase_unused(gm.graph, node)
