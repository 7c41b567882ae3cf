"""Learned positions looked up with ``torch.arange``, as minGPT and nanoGPT write them::

    pos = torch.arange(0, t, dtype=torch.long, device=idx.device)   # or .unsqueeze(0)
    x = self.tok_emb(idx) + self.pos_emb(pos)

is the learned positional embedding: a PositionalEmbedding block on the token embeddings, the
``nn.Embedding``'s weight its table (``x + table[:t]``, so it runs at any length up to the
table's). The ``arange`` (with ``unsqueeze(0)``, ``[None]`` or ``expand``) and the embedding
of it give no block; the block is made at the add, where the positions are checked against
the sequence: ``0 .. t-1`` for a sequence of ``t`` steps.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn

from .functions import Context, Mapped
from .modules import Unsupported
from .rotary import rotary_use

_REWRITE = ("tok(idx) + pos(torch.arange(t, device=idx.device)) with t = idx.size(1), "
            "pos an nn.Embedding(max_len, D)")
_SHAPING = ("unsqueeze", "expand", "expand_as", "view", "reshape", "to", "long", "contiguous")
_ADDS = (operator.add, operator.iadd, torch.add, "add")
# positions scaled into frequencies (a sinusoidal time embedding's), not indexes
_SCALINGS = (operator.mul, torch.mul, "mul", operator.truediv, torch.div, "div", torch.exp,
             "exp")


def _counts(ctx: Context, node: Any) -> bool:
    """``node`` reads a buffer whose rows count 0, 1, 2…: Hugging Face's ``position_ids``,
    ``torch.arange(max_len).expand((1, -1))`` kept in ``__init__``."""
    return isinstance(node, fx.Node) and ctx.const(node) is not None \
        and _counting(ctx.value(node))


def _counting(value: Any) -> bool:
    """``value`` is whole numbers, each row 0, 1, 2…"""
    if not isinstance(value, torch.Tensor) or value.is_floating_point() \
            or value.dtype == torch.bool or value.dim() not in (1, 2) or not value.numel():
        return False
    rows = value.reshape(-1, value.shape[-1])
    return bool((rows == torch.arange(rows.shape[1], dtype=rows.dtype)).all())


class Positions:
    """What the importer has seen of positions: the ``arange`` values (and their reshapes)
    and the embeddings looked up with them, until an add makes them a block."""

    def __init__(self):
        self.ranges: set[fx.Node] = set()
        self.lookups: dict[fx.Node, tuple[str, fx.Node]] = {}  # pos(range) -> (path, range)

    def follow(self, ctx: Context, model: nn.Module, node: fx.Node) -> Mapped | bool:
        """The block ``node`` becomes (a PositionalEmbedding, at the add), True where it is
        a step towards one (no block), False where it is none of this."""
        if node.op == "call_function" and node.target is torch.arange:
            self.ranges.add(node)
            return True
        source = node.args[0] if node.args else None
        if node.op == "call_function" and node.target is operator.getitem \
                and _counts(ctx, source) and _counting(ctx.value(node)):
            self.ranges.add(node)  # HF BERT's self.position_ids[:, :L]: a buffer of arange
            return True
        if node.op == "call_module" and source not in self.ranges and _counts(ctx, source):
            self.ranges.add(source)  # the whole buffer, unsliced
        if source in self.ranges and self._reshaped(ctx, node):
            self.ranges.add(node)
            return True
        if node.op == "call_module" and source in self.ranges:
            module = model.get_submodule(str(node.target))
            if isinstance(module, nn.Embedding):
                self.lookups[node] = (str(node.target), source)
                return True
        if node.op in ("call_function", "call_method") and node.target in _ADDS \
                and any(a in self.lookups for a in node.args[:2]):
            return self._added(ctx, model, node)
        return False

    def _reshaped(self, ctx: Context, node: fx.Node) -> bool:
        """``pos.unsqueeze(0)``, ``pos[None]``, ``pos.expand(b, t)``: the same positions in
        every row."""
        shaping = node.op == "call_method" and node.target in _SHAPING \
            or node.op == "call_function" and node.target in (torch.unsqueeze, operator.getitem)
        value, before = ctx.value(node), ctx.value(node.args[0])
        return shaping and isinstance(value, torch.Tensor) and value.dim() in (1, 2) \
            and value.numel() and value.shape[-1] == before.shape[-1] \
            and bool((value.reshape(-1, value.shape[-1]) == before.reshape(-1)).all())

    def _added(self, ctx: Context, model: nn.Module, node: fx.Node) -> Mapped:
        if node.kwargs.get("alpha", 1) != 1 or len(node.args) > 2:
            raise Unsupported("alpha other than 1")
        first, second = node.args[:2]
        lookup, x = (first, second) if first in self.lookups else (second, first)
        path, positions = self.lookups[lookup]
        module = model.get_submodule(path)
        x = ctx.tensor(x, "input")
        shape = tuple(ctx.value(x).shape)
        rows = ctx.value(positions).reshape(-1, ctx.value(positions).shape[-1])
        if len(shape) != 3 or shape[2] != module.embedding_dim:
            raise Unsupported(f"it adds {path}(torch.arange(...)) [.., {module.embedding_dim}] "
                              f"to a [B{''.join(f', {d}' for d in shape[1:])}] tensor; the "
                              f"positions map (to PositionalEmbedding) added to a [B, t, D] "
                              f"sequence of the embedding's D: {_REWRITE}")
        if not torch.equal(rows[0], torch.arange(shape[1], dtype=rows.dtype)):
            more = " ..." if len(rows[0]) > 4 else ""
            raise Unsupported(f"the positions of {path} are {rows[0][:4].tolist()}{more} for "
                              f"a sequence of {shape[1]} steps; PositionalEmbedding adds "
                              f"rows 0 to t-1 of its table, so only torch.arange(t) (from 0, "
                              f"step 1, t = the sequence's length) maps")
        if module.max_norm is not None:
            raise Unsupported(f"{path} has max_norm={module.max_norm}, which rescales its rows "
                              f"as it looks them up (PositionalEmbedding adds them as they are)")
        calls = sum(1 for n in node.graph.nodes if n.op == "call_module" and n.target == path)
        if calls > 1:
            raise Unsupported(f"{path} is called {calls} times, sharing its weights; each "
                              f"LayerLoom block has weights of its own")
        weight = module.weight.detach()
        return Mapped("PositionalEmbedding", {"max_len": module.num_embeddings}, [x],
                      weights={"weight": (f"{path}.weight", weight)}, name=path)

    def misuse(self, node: Any, what: str) -> str | None:
        """Why a position tensor cannot be the ``what`` of another node, or None when ``node``
        is not one."""
        if node in self.lookups and _repeated_over_map(node):
            path = self.lookups[node][0]
            return (f"its {what} is {path}(torch.arange(...)), a learned table of a map's rows "
                    f"or columns repeated over the map (DETR's PositionEmbeddingLearned: row "
                    f"and column tables), which no block does; a learned table of every "
                    f"position imports, added to the batch-first [B, H·W, D] tokens as ViT's "
                    f"pos_embed is (nn.Parameter of [1, H·W, D]: PositionalEmbedding)")
        if node in self.lookups:
            path = self.lookups[node][0]
            return (f"its {what} is {path}(torch.arange(...)), a learned position embedding; it "
                    f"maps (to PositionalEmbedding) only added to the token embeddings: "
                    f"{_REWRITE}")
        if node in self.ranges:
            rotation = rotary_use(node)
            if rotation is not None:
                return (f"its {what} is torch.arange's values, which the model makes into "
                        f"rotary position embeddings (RoPE: their cos and sin multiply the "
                        f"values{' at ' + rotation if rotation else ''}), but not the "
                        f"rotation the RotaryEmbedding block computes: step t's features i "
                        f"and i + D/2 of [..., L, D] turned by t · base^(-2i/D), written "
                        f"q * cos + rotate_half(q) * sin with cos and sin of torch.arange(L) "
                        f"times those frequencies (GPT-NeoX's and LLaMA's in transformers), "
                        f"which imports; write the rotation so. A model "
                        f"with absolute positions imports: a learned position embedding added "
                        f"to the token embeddings ({_REWRITE}: PositionalEmbedding), or a fixed "
                        f"sinusoidal table made in __init__ as a buffer and added "
                        f"(SinusoidalPositionalEncoding); train it so")
            scaled = any(user.target in _SCALINGS for user in node.users)
            return (f"its {what} is torch.arange's positions; of positions made in forward, "
                    f"only an nn.Embedding of them added to the token embeddings maps (to "
                    f"PositionalEmbedding): {_REWRITE}" + (
                        "; frequencies computed from them, a sinusoidal time embedding's "
                        "(torch.exp(torch.arange(half) * -c)), import made once in __init__ "
                        "as a buffer (self.register_buffer('freqs', ...)): t * self.freqs, t "
                        "a [B, 1] time step, is a frozen Linear" if scaled else ""))
        return None


def _repeated_over_map(node: fx.Node) -> bool:
    """``node``'s rows are repeated (``x_emb.unsqueeze(0).repeat(h, 1, 1)``, DETR's columns
    over the map's rows): a table of one axis of a map, not of a sequence's steps."""
    near = [u for u in node.users if u.target in ("unsqueeze", torch.unsqueeze)] + [node]
    return any(u.target in ("repeat", "expand") for n in near for u in n.users)

