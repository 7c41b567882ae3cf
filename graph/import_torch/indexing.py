"""Indexing that the first getitem rule leaves: an integer index anywhere after the batch
(TCN's ``y[:, :, -1]``, GoogLeNet's ``x[:, 0]``, fastai's ``x_cat[:, i]``), strided slices
(YOLOv5's Focus, ``x[..., ::2, ::2]``) and several dimensions sliced at once.

Each sliced dimension is a Slice block (``step`` for a stride); an integer ``k`` is the Slice
``k:k+1``, then a Flatten of that size-1 dimension into a neighbour, which drops it and keeps
every other size free (the graph runs at any length or image size, as the model does). Two uses
keep the size-1 dimension instead: ``torch.unsqueeze(x[:, 0], 1)`` puts it back (the unsqueeze
passes the Slice's tensor on), and ``emb(x[:, i])`` of a ``[B, n]`` index tensor, whose
``[B]`` has no dimension after the batch for a LayerLoom tensor: the Embedding looks up
``[B, 1]`` and a Flatten after it gives the model's ``[B, E]``.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn

from .functions import (FUNCTION_RULES, Alias, Context, Mapped, _unflatten, returned_only, rule,
                        show_index)
from .feature_tokens import feeds_tokenizers
from .modules import Unsupported

KEPT = "layerloom_kept_dim"  # fx node meta: its input keeps a size-1 dim the model dropped
_UNSQUEEZES = ("unsqueeze", torch.unsqueeze)
_first_rule = FUNCTION_RULES[operator.getitem]


@rule(operator.getitem)
def _getitem(ctx: Context, node: fx.Node) -> Mapped | Alias:
    source, index = node.args
    ctx.tensor(source, "input")  # a parameter or a non-tensor is refused as before
    result = ctx.value(node)
    if isinstance(result, torch.Tensor) and 0 in result.shape[1:]:
        raise Unsupported(f"indexing with x{show_index(index)} leaves nothing of a "
                          f"{_batched(tuple(ctx.value(source).shape))} tensor (its result is "
                          f"{_batched(tuple(result.shape))}, empty)")
    try:
        return _first_rule(ctx, node)
    except Unsupported:
        pass
    items = list(index) if isinstance(index, tuple) else [index]
    if None in items and all(i in (None, Ellipsis, slice(None)) for i in items):
        if feeds_tokenizers(ctx, node):  # x[..., None] * self.weight: the tokenizer adds it
            return Alias(source)
        return _new_dimensions(ctx, node, source, index)
    return indexed(ctx, node, source, index)


def _new_dimensions(ctx: Context, node: fx.Node, source: fx.Node, index: Any) -> Mapped:
    """``x[:, None]``, ``w[:, :, None, None]``, ``x[..., None]``: dimensions of size 1 added
    and nothing sliced, as ``unsqueeze`` does: an Unflatten (the other sizes stay free)."""
    before, after = tuple(ctx.value(source).shape), tuple(ctx.value(node).shape)
    if after[:1] != before[:1] or index is None or isinstance(index, tuple) and index[0] is None:
        raise Unsupported(f"indexing with x{show_index(index)} adds a dimension before the "
                          f"batch")
    split = _unflatten(before, after)
    if split is None:
        raise Unsupported(f"indexing with x{show_index(index)} adds a dimension to a "
                          f"{_batched(before)} tensor, which has none after the batch to "
                          f"split (keep a dimension after the batch)")
    return Mapped("Unflatten", {"dim": split[0] - 1, "sizes": split[1]}, [source])


def indexed(ctx: Context, node: fx.Node, source: fx.Node, index: Any) -> Mapped | Alias:
    """``x[index]`` as Slice blocks, then a Flatten per integer index (see the module's doc)."""
    shape = tuple(ctx.value(source).shape)
    index = fx.node.map_arg(index, lambda n: _number(ctx, n))  # x[:, x.size(1) - 1]
    items = _spread(index, len(shape))
    if items[0] != slice(None):
        raise Unsupported(f"indexing with x{show_index(index)} indexes the batch dimension "
                          f"(keep it whole: x[:, ...])")
    slices: list[dict] = []
    dropped: list[int] = []  # LayerLoom dims (batch not counted) an integer index removes
    for dim, item in enumerate(items[1:]):
        if isinstance(item, int):
            slices.append({"dim": dim, "start": item, "end": item + 1 if item != -1 else None})
            dropped.append(dim)
        elif item != slice(None):
            start, end, step = item.start, item.stop, item.step
            params = {"dim": dim, "start": start or 0, "end": end}
            if step not in (None, 1):
                params["step"] = step
            slices.append(params)
    if not slices:  # x[:, :] or x[...]: the tensor itself
        return Alias(source)
    then: list[tuple[str, dict]] = [("Slice", p) for p in slices[1:]]
    rank = len(shape) - 1
    kept = bool(dropped) and _kept_by_users(ctx, node, dropped, rank)
    if kept:
        dropped = []
    for dim in reversed(dropped):
        if rank == 1 and returned_only(node):  # ``return self.fc(x)[:, 0]``: [B] as [B, 1]
            break
        if rank == 1:
            raise Unsupported(f"indexing with x{show_index(index)} of a {_batched(shape)} "
                              f"tensor gives [B], the batch alone; a LayerLoom tensor keeps a "
                              f"dimension after the batch (x{_kept(index)} keeps [B, 1]; an "
                              f"nn.Embedding of it, or torch.unsqueeze(·, 1), maps too)")
        then.append(("Flatten", {} if rank == 2 else
                     {"start_dim": dim, "end_dim": dim + 1} if dim + 1 < rank else
                     {"start_dim": dim - 1, "end_dim": dim}))
        rank -= 1
    # integer indices are positions the model picks at any width: never merged into a Chunk
    return Mapped("Slice", slices[0], [source], then=then, picked=bool(dropped or kept))


def _spread(index: Any, rank: int) -> list:
    """The index as one item per dimension, the batch first: ``...`` and the dimensions left
    out at the end are ``:``. Refused: ``None`` (a new dimension, mapped alone by
    :func:`_new_dimensions`), tensors and bool indices."""
    items = [_one_position(item)
             for item in (list(index) if isinstance(index, tuple) else [index])]
    shown = show_index(index)
    for item in items:
        if item is None:
            raise Unsupported(f"indexing with x{shown} adds a dimension (None) and slices at "
                              f"once; write the slice and torch.unsqueeze(x, dim) apart")
        if isinstance(item, fx.Node) or isinstance(item, (bool, list, torch.Tensor)):
            raise Unsupported(f"indexing with x{shown} picks elements by a list or tensor of "
                              f"positions; only numbers and slices (x[:, 0], x[:, :, -1], "
                              f"x[..., ::2]) map, to Slice")
        if isinstance(item, slice) and not all(
                v is None or isinstance(v, int) and not isinstance(v, bool)
                for v in (item.start, item.stop, item.step)):
            raise Unsupported(f"indexing with x{shown} has a slice bound that is not a number")
        if isinstance(item, slice) and item.step is not None and item.step < 1:
            raise Unsupported(f"indexing with x{shown} has a step below 1")
    if items.count(Ellipsis) > 1:
        raise Unsupported(f"indexing with x{shown} has more than one ...")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (rank - len(items) + 1) + items[at + 1:]
    if len(items) > rank:
        raise Unsupported(f"indexing with x{shown} has more indices than the tensor's {rank} "
                          f"dimensions")
    return items + [slice(None)] * (rank - len(items))


def _one_position(item: Any) -> Any:
    """A list of one position, ``[-1]`` or ``[k]``, as the slice that keeps the same values and
    the dimension (nanoGPT's ``self.lm_head(x[:, [-1], :])``: the last step, ``[B, 1, C]``);
    else ``item``."""
    if isinstance(item, list) and len(item) == 1 and isinstance(item[0], int) \
            and not isinstance(item[0], bool):
        return slice(item[0], item[0] + 1 if item[0] != -1 else None)
    return item


def _number(ctx: Context, node: fx.Node) -> Any:
    value = ctx.value(node)
    return value if isinstance(value, int) and not isinstance(value, bool) else node


def _kept_by_users(ctx: Context, node: fx.Node, dropped: list[int], rank: int) -> bool:
    """Whether every use of ``node`` takes its dropped dimension back (an unsqueeze at the same
    place) or looks up ids in an ``nn.Embedding`` from a ``[B]`` index: then the size-1
    dimension is kept and those uses are marked (:data:`KEPT`) to pass it on or flatten
    after."""
    users = list(node.users)
    if len(dropped) != 1 or not users:
        return False
    at = dropped[0] + 1  # counted with the batch, as torch.unsqueeze counts it
    out_rank = rank  # the model's rank after the drop, batch counted
    for user in users:
        if user.op == "call_module" and rank == 1 \
                and isinstance(ctx.model.get_submodule(user.target), nn.Embedding) \
                and user.args[:1] == (node,):
            continue
        if user.op in ("call_method", "call_function") and user.target in _UNSQUEEZES \
                and user.args[:1] == (node,):
            dim = user.args[1] if len(user.args) > 1 else user.kwargs.get("dim")
            if isinstance(dim, int) and not isinstance(dim, bool) \
                    and dim % (out_rank + 1) == at:
                continue
        return False
    for user in users:
        user.meta[KEPT] = True
    return True


def _batched(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(["B"] + [str(d) for d in shape[1:]]) + "]"


def _kept(index: Any) -> str:
    """``[:, 0]`` as ``[:, 0:1]``: the same index keeping its dimensions."""
    items = index if isinstance(index, tuple) else (index,)
    return show_index(tuple(slice(i, i + 1 if i != -1 else None)
                            if isinstance(i, int) else i for i in items))


def _unsqueezed(previous):
    """The unsqueeze rule, but for an unsqueeze that puts back the dimension an integer index
    dropped (kept by :func:`indexed`): the tensor passes on unchanged."""
    def convert(ctx: Context, node: fx.Node) -> Mapped | Alias:
        if node.meta.get(KEPT):
            return Alias(ctx.tensor(node.args[0] if node.args else node.kwargs["input"],
                                    "input"))
        return previous(ctx, node)
    return convert


for _target in _UNSQUEEZES:
    FUNCTION_RULES[_target] = _unsqueezed(FUNCTION_RULES[_target])


def after_module(node: fx.Node, mapped: Mapped) -> Mapped:
    """An ``nn.Embedding`` of a ``[B]`` index kept as ``[B, 1]``: a Flatten after it gives the
    model's ``[B, E]``."""
    if node.meta.get(KEPT) and mapped.type == "Embedding":
        mapped.then.append(("Flatten", {}))
    return mapped
