"""Token types that are all one type, as Hugging Face's BERT makes them when it is given no
``token_type_ids``::

    token_type_ids = torch.zeros_like(input_ids)        # or a registered buffer of zeros,
    e = e + self.token_type_embeddings(token_type_ids)  # self.token_type_ids[:, :L]

look up row 0 of the table at every step: the TokenTypeEmbedding block on ``e``, holding the
``nn.Embedding``'s whole table (its other rows unused, as in the model) and adding row 0. The ids
(``zeros_like``, ``new_zeros``, ``full_like``, a buffer, their slices and reshapes) and the
lookup give no block; the block is made at the add, where the lookup is checked against the
sequence it is added to.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn

from .functions import Context, Mapped
from .modules import Unsupported

_LIKE = (torch.zeros_like, torch.ones_like, torch.full_like)
_NEW = ("new_zeros", "new_ones", "new_full")
_SHAPING = ("expand", "expand_as", "view", "reshape", "unsqueeze", "to", "long", "contiguous")
_ADDS = (operator.add, operator.iadd, torch.add, "add")
_REWRITE = "e = e + self.token_type_embeddings(torch.zeros_like(input_ids))"


def _one_type(value: Any) -> int | None:
    """The one id of an integer tensor whose ids are all alike, or None."""
    if not isinstance(value, torch.Tensor) or value.is_floating_point() \
            or value.dtype == torch.bool or not value.numel():
        return None
    first = value.reshape(-1)[0]
    return int(first) if bool((value == first).all()) else None


class TokenTypes:
    """What the importer has seen of token types: ids of one type made in ``forward`` and the
    embeddings looked up with them, until an add makes them a block."""

    def __init__(self):
        self.ids: set[fx.Node] = set()
        self.lookups: dict[fx.Node, tuple[str, int]] = {}  # emb(ids) -> (path, the type)

    def follow(self, ctx: Context, model: nn.Module, node: fx.Node) -> Mapped | bool:
        """The block ``node`` becomes (a TokenTypeEmbedding, at the add), True where it is a
        step towards one (no block), False where it is none of this."""
        source = node.args[0] if node.args else None
        if node.op == "call_module" and _one_type(ctx.value(source)) is not None and (
                source in self.ids or ctx.fixed(source) is not None):
            module = model.get_submodule(str(node.target))
            if isinstance(module, nn.Embedding) and len(node.args) == 1 and not node.kwargs:
                self.lookups[node] = (str(node.target), _one_type(ctx.value(source)))
                return True
        if _one_type(ctx.value(node)) is not None and (
                self._made(node) or source in self.ids and _reshaped(node)) \
                and _looked_up(model, node):
            self.ids.add(node)
            return True
        if node.op in ("call_function", "call_method") and node.target in _ADDS \
                and any(a in self.lookups for a in node.args[:2]):
            return self._added(ctx, model, node)
        return False

    @staticmethod
    def _made(node: fx.Node) -> bool:
        """``torch.zeros_like(input_ids)``, ``input_ids.new_zeros(...)``: ids that follow from
        a tensor's size alone, not its values."""
        return node.op == "call_function" and node.target in _LIKE \
            or node.op == "call_method" and node.target in _NEW

    def _added(self, ctx: Context, model: nn.Module, node: fx.Node) -> Mapped:
        if node.kwargs.get("alpha", 1) != 1 or len(node.args) > 2:
            raise Unsupported("alpha other than 1")
        first, second = node.args[:2]
        lookup, x = (first, second) if first in self.lookups else (second, first)
        path, type_id = self.lookups[lookup]
        module = model.get_submodule(path)
        x = ctx.tensor(x, "input")
        shape, added = tuple(ctx.value(x).shape), tuple(ctx.value(lookup).shape)
        if len(shape) < 2 or shape[-1] != module.embedding_dim \
                or tuple(ctx.value(node).shape) != shape:
            raise Unsupported(f"it adds {path}(ids all {type_id}) [{', '.join(map(str, added))}]"
                              f" to a [B{''.join(f', {d}' for d in shape[1:])}] tensor; the "
                              f"token types map (to TokenTypeEmbedding) added to a [B, L, D] "
                              f"sequence of the embedding's D: {_REWRITE}")
        if module.max_norm is not None:
            raise Unsupported(f"{path} has max_norm={module.max_norm}, which rescales its rows "
                              f"as it looks them up (TokenTypeEmbedding adds its row as it is)")
        if module.padding_idx is not None and type_id == module.padding_idx:
            raise Unsupported(f"its ids are all {type_id}, {path}'s padding_idx, a row that is "
                              f"not trained (TokenTypeEmbedding trains the row it adds)")
        calls = sum(1 for n in node.graph.nodes if n.op == "call_module" and n.target == path)
        if calls > 1:
            raise Unsupported(f"{path} is called {calls} times, sharing its weights; each "
                              f"LayerLoom block has weights of its own")
        return Mapped("TokenTypeEmbedding", {"num_types": module.num_embeddings,
                                             "type_id": type_id}, [x], module=path, name=path)

    def misuse(self, node: Any, what: str) -> str | None:
        """Why a token-type tensor cannot be the ``what`` of another node, or None when
        ``node`` is not one."""
        if node in self.lookups:
            path, type_id = self.lookups[node]
            return (f"its {what} is {path} looked up with ids that are all {type_id}, one row of "
                    f"its table at every step; it maps (to TokenTypeEmbedding) only added to "
                    f"the token embeddings: {_REWRITE}")
        return None


def _reshaped(node: fx.Node) -> bool:
    """``ids.expand(b, t)``, ``ids[:, :t]``, ``ids.view(...)``, ``ids.long()``."""
    return node.op == "call_method" and node.target in _SHAPING \
        or node.op == "call_function" and node.target in (torch.unsqueeze, operator.getitem)


def _looked_up(model: nn.Module, node: fx.Node) -> bool:
    """Every use of ``node`` (through reshapes) is an ``nn.Embedding`` looking it up."""
    users = list(node.users)
    for user in users:
        if user.op == "call_module" and user.args[:1] == (node,) and isinstance(
                model.get_submodule(str(user.target)), nn.Embedding):
            continue
        if user.args[:1] == (node,) and _reshaped(user) and _looked_up(model, user):
            continue
        return False
    return bool(users)
