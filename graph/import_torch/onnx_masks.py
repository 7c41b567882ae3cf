"""What the mask on an ONNX attention's scores means, read from its values on the probe runs.

Exporters write attention's mask even where it masks nothing: the dynamo exporter writes
``F.scaled_dot_product_attention`` given transformers' all-true mask (BERT, DistilBERT, ViT
without ``attention_mask``) as ``Where(mask, 0, -inf)`` added to the scores, and after the
``Softmax`` an ``IsNaN → Where`` that puts 0 where a row was all masked. A mask that keeps
every position is no mask; one that keeps each step and those before it is causal (GPT-2's);
one computed from an input of the file that keeps exactly the key steps where that input is
nonzero is a padding mask (BERT's ``attention_mask``: a PaddingMask block feeding the
attention's key_padding_mask).
"""

from __future__ import annotations

import numpy as np

_FILLED = -1e4  # a fill at most this keeps nothing of a masked score after the softmax


def mask_kind(module, name: str, additive: bool) -> str:
    """``"none"``, ``"causal"``, ``"input"`` (computed from an input of the file) or
    ``"other"`` for the mask ``name``: added to the scores (``additive``) or, as a Where's
    condition, true where a score is kept."""
    if module.runtime(name):
        return "input"
    values = module.batchdep.get(name) or (module.consts.get(name),)
    kinds = {_kind(np.asarray(v), additive) for v in values if v is not None}
    return kinds.pop() if len(kinds) == 1 else "other"


def _kind(value: np.ndarray, additive: bool) -> str:
    if value.size == 0:
        return "other"
    kept = value == 0 if additive else value.astype(bool)
    if additive and not np.all((value == 0) | (value <= _FILLED)):
        return "other"  # a bias on the scores (relative positions), not a mask
    if kept.all():
        return "none"
    if kept.ndim >= 2 and kept.shape[-1] == kept.shape[-2]:
        causal = np.tril(np.ones(kept.shape[-2:], dtype=bool))
        if np.array_equal(kept, np.broadcast_to(causal, kept.shape)):
            return "causal"
    return "other"


def nan_guard(module, name: str) -> str | None:
    """The value after the dynamo exporter's ``Where(IsNaN(p), 0, p)`` on the softmax ``p``
    (``name``), or None where ``name`` is not guarded so."""
    users = [module.nodes[i] for i in module.consumers.get(name, [])]
    if len(users) != 2:
        return None
    isnan = next((u for u in users if u.op_type == "IsNaN"), None)
    where = next((u for u in users if u.op_type == "Where"), None)
    if isnan is None or where is None or list(where.input[::2]) != [isnan.output[0], name] \
            or [module.nodes[i].output[0] for i in module.consumers.get(isnan.output[0], [])] \
            != [where.output[0]] \
            or np.any(np.asarray(module.consts.get(where.input[1], 1)) != 0):
        return None
    return where.output[0]


def sources(module, name: str) -> list[str]:
    """The inputs of the file whose values ``name`` is computed from (not their sizes)."""
    producer = {o: i for i, n in enumerate(module.nodes) for o in n.output if o}
    todo, seen, found = [name], set(), []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in module.input_names:
            found.append(current)
        index = producer.get(current)
        if index is not None and module.nodes[index].op_type not in ("Shape", "Size"):
            todo.extend(n for n in module.nodes[index].input if n)
    return sorted(found, key=module.input_names.index)


def padding_of(module, name: str, source: str, additive: bool) -> bool:
    """The mask ``name`` keeps exactly the key steps where the input ``source`` ([batch, L]) is
    nonzero, for every query step (and head), on every probe run: Hugging Face's
    ``attention_mask`` however the exporter wrote its expansion to ``[batch, 1, Lq, L]``."""
    for probe in module.probes:
        given, mask = probe.get(source), probe.get(name)
        if given is None or mask is None:
            return False
        given, mask = np.asarray(given), np.asarray(mask)
        if given.ndim != 2 or mask.ndim < 2 or mask.shape[0] != given.shape[0] \
                or mask.shape[-1] != given.shape[1] or given.all() or not given.any():
            return False  # a probe without padding (or all padding) would prove nothing
        if additive and not np.all((mask == 0) | (mask <= _FILLED)):
            return False
        kept = mask == 0 if additive else mask.astype(bool)
        keep = (given != 0).reshape(given.shape[0], *[1] * (mask.ndim - 2), given.shape[1])
        if not np.array_equal(kept, np.broadcast_to(keep, mask.shape)):
            return False
    return True
