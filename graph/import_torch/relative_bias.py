"""T5's relative position bias, as transformers' T5Attention (mT5, LongT5, UMT5) writes it::

    context_position = torch.arange(query_length)[:, None]
    memory_position = torch.arange(key_length)[None, :]
    relative_position = memory_position - context_position
    bucket = self._relative_position_bucket(relative_position, ...)   # abs, log, where, min
    values = self.relative_attention_bias(bucket)                      # nn.Embedding(buckets, H)
    scores += values.permute([2, 0, 1]).unsqueeze(0)

is one RelativePositionBias block on the scores, holding the embedding's table: the positions,
their buckets and the lookup give no block (they follow from the lengths alone); the block is
made at the add, where its bias is checked against the model's value by value.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn

from .functions import Context, Mapped
from .modules import Unsupported

_ADDS = (operator.add, operator.iadd, torch.add, "add", "add_")
_SHAPING = ("permute", "unsqueeze", "view", "reshape", "to", "float", "type_as",
            "contiguous", torch.permute, torch.unsqueeze, operator.getitem)


def _tensor_args(ctx: Context, node: fx.Node) -> list[fx.Node]:
    found: list = []
    fx.node.map_arg((node.args, node.kwargs), found.append)
    return [a for a in found if isinstance(ctx.value(a), torch.Tensor)]


def _from_lengths(ctx: Context, node: fx.Node, known: dict) -> bool:
    """``node``'s tensor follows from sizes alone (``torch.arange(t)``, what is computed from
    it), none of the model's inputs, parameters or layers' outputs."""
    if node not in known:
        tensors = _tensor_args(ctx, node)
        known[node] = node.op == "call_function" and node.target is torch.arange or (
            node.op in ("call_function", "call_method") and bool(tensors)
            and all(_from_lengths(ctx, a, known) for a in tensors))
    return known[node]


def relative_lookup(ctx: Context, node: fx.Node) -> tuple[str, nn.Embedding] | None:
    """``(path, embedding)`` where ``node`` (an ``arange``) leads, through values that follow
    from the lengths alone, to relative positions (one such value less another) looked up in
    an ``nn.Embedding``; else None (nanoGPT's ``pos_emb(torch.arange(t))`` is no such)."""
    known: dict = {}
    seen, todo, subtracted, lookup = set(), [node], False, None
    while todo and len(seen) < 200:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        if item.op == "call_module":
            module = ctx.model.get_submodule(str(item.target))
            if isinstance(module, nn.Embedding) and item.args and item.args[0] in seen:
                lookup = (str(item.target), module)
            continue
        if not _from_lengths(ctx, item, known):
            continue
        if item.target in (operator.sub, torch.sub, "sub") \
                and len(_tensor_args(ctx, item)) == 2:  # positions less positions
            subtracted = True
        todo.extend(item.users)
    return lookup if subtracted else None


class RelativeBias:
    """The positions, buckets and lookups of a relative position bias seen so far."""

    def __init__(self):
        self.made: set[fx.Node] = set()  # positions and buckets: from the lengths alone
        self.lookups: dict[fx.Node, tuple[str, nn.Embedding]] = {}  # the bias, reshaped

    def follow(self, ctx: Context, model: nn.Module, node: fx.Node) -> Mapped | bool:
        if node.op == "call_function" and node.target is torch.arange:
            if relative_lookup(ctx, node) is None:
                return False
            self.made.add(node)
            return True
        tensors = _tensor_args(ctx, node)
        if not tensors:
            return False
        if node.op == "call_module" and node.args and node.args[0] in self.made:
            module = model.get_submodule(str(node.target))
            if isinstance(module, nn.Embedding):
                self.lookups[node] = (str(node.target), module)
                return True
            return False
        if node.op != "call_module" and all(a in self.made for a in tensors):
            self.made.add(node)
            return True
        looked = [a for a in tensors if a in self.lookups]
        if not looked:
            return False
        if node.op in ("call_function", "call_method") and node.target in _SHAPING \
                and tensors == looked[:1]:
            self.lookups[node] = self.lookups[looked[0]]
            return True
        if node.op in ("call_function", "call_method") and node.target in _ADDS \
                and len(tensors) == 2 and len(looked) == 1 and not node.kwargs:
            return self._added(ctx, model, node, looked[0],
                               next(a for a in tensors if a is not looked[0]))
        path = self.lookups[looked[0]][0]
        raise Unsupported(f"it uses {path}'s relative position bias otherwise than added to "
                          f"attention scores [B, heads, Lq, Lk] (scores += bias), the one use "
                          f"that maps (to RelativePositionBias)")

    def _added(self, ctx: Context, model: nn.Module, node: fx.Node, bias: fx.Node,
               scores: Any) -> Mapped:
        from ..modules import RelativePositionBias

        path, module = self.lookups[bias]
        scores = ctx.tensor(scores, "input")
        shape, value = tuple(ctx.value(scores).shape), ctx.value(bias)
        heads = module.embedding_dim
        if len(shape) != 4 or shape[1] != heads or value.dim() not in (3, 4) \
                or tuple(value.shape[-3:]) != shape[1:]:
            raise Unsupported(f"it adds {path}'s relative position bias "
                              f"{list(value.shape)} to a {list(shape)} tensor; it maps (to "
                              f"RelativePositionBias) added to attention scores [B, {heads}, "
                              f"Lq, Lk], {path}'s {heads} columns one per head")
        owner = model.get_submodule(path.rpartition(".")[0]) if "." in path else model
        distance = getattr(owner, "relative_attention_max_distance", None)
        decoder = getattr(owner, "is_decoder", None)
        distances = [distance] if isinstance(distance, int) else [128]
        directions = [not decoder] if isinstance(decoder, bool) else [True, False]
        for max_distance in distances:
            for bidirectional in directions:
                try:
                    built = RelativePositionBias(heads, module.num_embeddings, max_distance,
                                                 bidirectional)
                except (ValueError, ZeroDivisionError):
                    continue
                with torch.no_grad():
                    built.relative_attention_bias.weight.copy_(module.weight)
                    made = built(torch.zeros(1, *shape[1:]))
                if torch.equal(made, value.reshape(1, *shape[1:])):
                    return Mapped("RelativePositionBias",
                                  {"num_buckets": module.num_embeddings,
                                   "max_distance": max_distance, "bidirectional": bidirectional},
                                  [scores], name=path.replace(".", "_"),
                                  weights={"relative_attention_bias.weight":
                                           (f"{path}.weight", module.weight.detach())})
        raise Unsupported(f"{path} (nn.Embedding({module.num_embeddings}, {heads})) is looked "
                          f"up by relative positions, but not as T5 buckets them with "
                          f"max_distance {distances[0]} (the RelativePositionBias block's "
                          f"rule); keep relative_attention_max_distance and is_decoder on "
                          f"the module that holds it, as transformers' T5Attention does, and "
                          f"its _relative_position_bucket")
