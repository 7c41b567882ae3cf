"""torch's attention and transformer modules built sequence-first (``batch_first=False``, the
default), as the original DETR and many others call them on ``[S, B, E]`` tensors::

    src = h.flatten(2).permute(2, 0, 1)                    # (HW, B, D)
    hs = self.transformer(src + self.pos, queries)         # nn.Transformer(batch_first=False)
    hs = hs.transpose(0, 1)                                # (B, Q, D)

A sequence-first module computes, on ``x``, what the same module batch-first computes on
``x.transpose(0, 1)``, transposed back: the weights are the same. So the import traces each such
module as batch-first (:func:`batch_first_while_traced`) between two explicit transposes
(:meth:`SequenceFirstCalls.call`), and :func:`fold_sequence_first` moves every transpose
that takes the batch out of the first place down through what works on the last dimension
alone (Linear, LayerNorm, dropout, activations; adds of tensors laid out alike or of a fixed
tensor), until it meets another and the two cancel or make one Permute that keeps the batch
first. The design then holds the batch-first MultiheadAttention and transformer blocks on
the permuted tensors, with the model's numbers; a sequence-first output's last step
(``out[-1]``) is the batch-first one's ``out[:, -1]``, its mean over the steps
(``out.mean(0)``) the batch-first one's ``out.mean(1)``. The original DETR's own layers
(``models/transformer.py``) import so too: its queries repeated over the batch in place 1
(``query_embed.unsqueeze(1).repeat(1, bs, 1)``) are repeated batch-first then swapped, and
its decoder's output stacked before the batch (``unsqueeze(0)``, the heads taking ``[-1]``)
is the output itself. torch's LSTM, GRU and RNN built sequence-first, as tutorials' text
classifiers call them (``embedded.permute(1, 0, 2)``, then ``output[-1]`` or ``h_n[-1]``), are
traced so too: only their input and ``output`` are transposed, ``h_n`` (and ``c_n``) being
``[layers * dirs, B, H]`` either way. A transpose that meets none stays, and
the import refuses it at the module's call, saying to make the module batch-first (for a
recurrent module, as the module's own refusal: ``batch_first=False``).
"""

from __future__ import annotations

import contextlib
import inspect
import operator
import weakref
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .rewriting import calls, settled

# the modules flipped to batch-first while a model is traced: their refusals still say that the
# model built them sequence-first
FLIPPED: weakref.WeakSet = weakref.WeakSet()
_MOVED = "layerloom_sequence_first"  # fx node meta: a transpose put around such a module's call
_RECURRENT = "layerloom_sequence_first_rnn"  # fx node meta: the call of such an LSTM, GRU, RNN

# the arguments that are sequences ([S, B, E]) of each module; its masks are the same either way
_SEQUENCES = {nn.MultiheadAttention: ("query", "key", "value"),
              nn.TransformerEncoderLayer: ("src",), nn.TransformerEncoder: ("src",),
              nn.TransformerDecoderLayer: ("tgt", "memory"),
              nn.TransformerDecoder: ("tgt", "memory"), nn.Transformer: ("src", "tgt"),
              nn.RNNBase: ("input",)}  # an LSTM's (h_0, c_0) is [layers, B, H] either way


def _attentions(module: nn.Module) -> list[nn.MultiheadAttention]:
    return [m for m in module.modules() if isinstance(m, nn.MultiheadAttention)]


def sequence_first(module: nn.Module) -> bool:
    """``module`` is one of torch's attention or transformer modules built sequence-first."""
    if not isinstance(module, tuple(_SEQUENCES)):
        return False
    if isinstance(module, (nn.Transformer, nn.RNNBase)):
        return not module.batch_first
    attentions = _attentions(module)
    return bool(attentions) and not any(m.batch_first for m in attentions)


@contextlib.contextmanager
def batch_first_while_traced(model: nn.Module) -> Iterator[None]:
    """``model``'s sequence-first attention and transformer modules are batch-first inside
    the block, as they were after it."""
    found = [m for m in model.modules() if sequence_first(m)]
    before = [(m, m.batch_first) for m in model.modules()
              if isinstance(m, (nn.MultiheadAttention, nn.Transformer, nn.RNNBase))
              and any(m in _attentions(f) or m is f for f in found)]
    try:
        for module, _ in before:
            module.batch_first = True
        FLIPPED.update(found)
        yield
    finally:
        for module, flag in before:
            module.batch_first = flag
        for module in found:
            FLIPPED.discard(module)


class SequenceFirstCalls:
    """The tracer's call of a module flipped by :func:`batch_first_while_traced`: its sequence
    arguments transposed to [B, S, E], its output back to [S, B, E]; a flipped module called
    inside another's call (a layer of a flipped encoder) is called as it is."""

    def __init__(self) -> None:
        self.inside = 0

    def wraps(self, module: nn.Module) -> bool:
        return self.inside == 0 and module in FLIPPED

    def call(self, module: nn.Module, forward, args, kwargs, call):
        names = next(v for k, v in _SEQUENCES.items() if isinstance(module, k))
        bound = inspect.signature(module.forward).bind(*args, **kwargs)
        for name in names:
            if isinstance(bound.arguments.get(name), fx.Proxy):
                bound.arguments[name] = _moved(bound.arguments[name])
        self.inside += 1
        try:
            out = call(module, forward, bound.args, bound.kwargs)
        finally:
            self.inside -= 1
        if isinstance(module, nn.RNNBase):
            out.node.meta[_RECURRENT] = True
        # (output, attention weights [B, L, S]); (output, h_n), h_n [layers, B, H] either way
        if isinstance(module, (nn.MultiheadAttention, nn.RNNBase)):
            return _moved(out[0]), out[1]
        return _moved(out)


def moved_for(node: fx.Node) -> fx.Node | None:
    """The call of the recurrent module (LSTM, GRU, RNN) whose call ``node``, a transpose the
    import put there, is next to: it met no other, so the model fed that module something other
    than its batch moved to second place, or used its output otherwise (None for any other
    node). Its refusal is the module's own, batch_first=False, as it was before such modules
    were traced batch-first."""
    if not node.meta.get(_MOVED):
        return None
    source = node.args[0] if node.args and isinstance(node.args[0], fx.Node) else None
    if source is not None and source.target is operator.getitem:
        source = source.args[0]
    near = [u for u in node.users if u.op == "call_module"] + [source]
    return next((n for n in near if isinstance(n, fx.Node)
                 and n.op == "call_module" and n.meta.get(_RECURRENT)), None)


def _moved(value: fx.Proxy) -> fx.Proxy:
    moved = value.transpose(0, 1)
    moved.node.meta[_MOVED] = True
    return moved


_PERMUTES = ("permute", "transpose", "t", torch.permute, torch.transpose, torch.t)
_LAST_DIM_MODULES = (nn.Linear, nn.Dropout, nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid,
                     nn.LeakyReLU, nn.Identity)
_ELEMENTWISE = ("relu", "gelu", "silu", "tanh", "sigmoid", "contiguous", torch.relu, torch.tanh,
                torch.sigmoid, F.relu, F.gelu, F.silu, F.dropout, F.leaky_relu,
                torch.zeros_like)
_BINARY = (operator.add, operator.mul, operator.sub, torch.add, torch.mul, "add", "mul", "sub")
_SOFTMAXES = ("softmax", "log_softmax", torch.softmax, torch.log_softmax, F.softmax,
              F.log_softmax)


def fold_sequence_first(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Move each transpose or permute that takes the batch out of the first place down past
    what works on the last dimension alone, and merge it into the permute it meets (see the
    module's text). ``values``: the nodes' values on the sample. Whether anything changed."""
    if not any(n.meta.get(_MOVED) for n in gm.graph.nodes):
        return False
    changed, moving = False, True
    while moving:
        moving, fixed = False, _fixed(gm)
        for node in list(gm.graph.nodes):
            if node._erased or not node.users or node in fixed:
                continue
            if _batch_repeat(gm, node, values, fixed) or _stacked_one(gm, node, values):
                moving = changed = True
                break
            order = _order(node, values)
            if order is None or order[0] == 0:
                continue
            if _sizes(gm, node, order) or _merge(gm, node, order, values) \
                    or _split(gm, node, order, values) \
                    or _last_step(gm, node, order) or _reduced(gm, node, order, values) \
                    or _max_over(gm, node, order, values) or _embedded(gm, node, order, values) \
                    or _joined(gm, node, order, values) \
                    or _sink(gm, node, order, values, fixed):
                moving = changed = True
                break
    changed = _views_of_permuted(gm, values) or changed
    return settled(gm, changed)


def _order(node: fx.Node, values: dict) -> list[int] | None:
    """The dims of ``node``'s permute or transpose as one permute's, else None."""
    if not calls(node, _PERMUTES) or not isinstance(values.get(node), torch.Tensor):
        return None
    rank = values[node].dim()
    if calls(node, ("t", torch.t)):  # a matrix's transpose (``text.t()``: [B, S] to [S, B])
        return [1, 0] if rank == 2 and len(node.args) == 1 and not node.kwargs else None
    rest = list(node.args[1:]) or list(node.kwargs.values())
    if calls(node, ("transpose", torch.transpose)):
        if len(rest) != 2 or not all(isinstance(d, int) for d in rest):
            return None
        a, b = (d % rank for d in rest)
        order = list(range(rank))
        order[a], order[b] = order[b], order[a]
        return order
    if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
        rest = list(rest[0])
    if len(rest) != rank or not all(isinstance(d, int) for d in rest):
        return None
    return [d % rank for d in rest]


def _sizes(gm: fx.GraphModule, node: fx.Node, order: list[int]) -> bool:
    """``x.size(1)`` or ``x.shape[1]`` of a permuted ``x`` (the batch of a sequence-first input,
    for its LSTM's zero state ``torch.zeros(layers, x.size(1), H)``): that size of the tensor
    before the permute, so the permute has no other use."""
    changed = False
    for user in list(node.users):
        if user.op == "call_method" and user.target == "size" and len(user.args) == 2 \
                and isinstance(user.args[1], int) and not user.kwargs:
            user.args = (node.args[0], order[user.args[1] % len(order)])
            changed = True
        elif user.op == "call_function" and user.target is getattr \
                and user.args[1:] in (("device",), ("dtype",)):  # src.device: the same
            user.args = (node.args[0], *user.args[1:])
            changed = True
        elif user.op == "call_function" and user.target is getattr \
                and user.args[1:] == ("shape",) and all(
                    u.op == "call_function" and u.target is operator.getitem
                    and isinstance(u.args[1], int) for u in user.users):
            for taken in list(user.users):
                with gm.graph.inserting_before(taken):
                    size = gm.graph.call_method("size", (node.args[0],
                                                         order[taken.args[1] % len(order)]))
                size.meta.update({k: v for k, v in taken.meta.items() if k != "val"})
                taken.replace_all_uses_with(size)
                gm.graph.erase_node(taken)
            gm.graph.erase_node(user)
            changed = True
    return changed


def _merge(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """``node``'s input is a permute too, and the two keep the batch first: one permute of
    that one's input, or none at all."""
    source = node.args[0]
    inner = _order(source, values) if isinstance(source, fx.Node) else None
    if inner is None:
        return False
    both = [inner[d] for d in order]
    if both[0] != 0:
        return False
    with gm.graph.inserting_before(node):
        if both == sorted(both):
            node.replace_all_uses_with(source.args[0])
        else:
            merged = gm.graph.call_method("permute", (source.args[0], *both))
            merged.meta.update({k: v for k, v in node.meta.items() if k != "val"})
            node.replace_all_uses_with(merged)
    gm.graph.erase_node(node)
    if not source.users:
        gm.graph.erase_node(source)
    return True


def _split(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """A permute that moves the batch to place ``k`` and more (DETR's ``permute(2, 0, 1)``) as
    one that keeps the batch first, then the batch's swap with place ``k`` alone, which moves
    past what works on the last dimension where ``k`` is not the last place."""
    k = order.index(0)
    swap = list(range(len(order)))
    swap[0], swap[k] = k, 0
    if order == swap or k == len(order) - 1:
        return False
    kept = [order[swap[d]] for d in range(len(order))]
    source = node.args[0]
    with gm.graph.inserting_before(node):
        first = gm.graph.call_method("permute", (source, *kept))
        moved = gm.graph.call_method("transpose", (first, 0, k))
    for made in (first, moved):
        made.meta.update({key: v for key, v in node.meta.items() if key != "val"})
    node.replace_all_uses_with(moved)
    gm.graph.erase_node(node)
    values[first] = values[source].permute(*kept)
    values[moved] = values[first].transpose(0, k)
    return True


def _batch_repeat(gm: fx.GraphModule, node: fx.Node, values: dict, fixed: set) -> bool:
    """A fixed tensor repeated over the batch in place ``k`` (DETR's queries,
    ``query_embed.unsqueeze(1).repeat(1, bs, 1)``: [Q, B, D]) as the batch-first repeat of it
    swapped (``.repeat(bs, 1, 1)``, the LearnedTokens block), then the batch's swap with place
    ``k``, which moves down as the permutes do."""
    if not (node.op == "call_method" and node.target == "repeat" and node.args
            and node.args[0] in fixed and node not in fixed):
        return False
    times = list(node.args[1:])
    if len(times) == 1 and isinstance(times[0], (list, tuple)):
        times = list(times[0])
    tiled, batch = values.get(node.args[0]), _batch_size(gm, values)
    sized = [i for i, t in enumerate(times) if isinstance(t, fx.Node)]
    if not isinstance(tiled, torch.Tensor) or tiled.dim() != len(times) or len(sized) != 1 \
            or sized[0] == 0 or values.get(times[sized[0]]) != batch \
            or tiled.shape[sized[0]] != 1:
        return False
    k = sized[0]
    swap = list(range(len(times)))
    swap[0], swap[k] = k, 0
    source = node.args[0]
    with gm.graph.inserting_before(node):
        swapped = gm.graph.call_method("permute", (source, *swap))
        again = gm.graph.call_method("repeat", (swapped, *[times[d] for d in swap]))
        moved = gm.graph.call_method("transpose", (again, 0, k))
    for made in (swapped, again, moved):
        made.meta.update({key: v for key, v in node.meta.items() if key != "val"})
    values[swapped] = tiled.permute(*swap)
    values[again] = values[swapped].repeat(*[values.get(t, t) for t in (times[d] for d in swap)])
    values[moved] = values[node]
    node.replace_all_uses_with(moved)
    gm.graph.erase_node(node)
    return True


def _batch_size(gm: fx.GraphModule, values: dict) -> int | None:
    first = next((n for n in gm.graph.nodes if n.op == "placeholder"), None)
    value = values.get(first)
    return value.shape[0] if isinstance(value, torch.Tensor) and value.dim() else None


def _last_step(gm: fx.GraphModule, node: fx.Node, order: list[int]) -> bool:
    """``y.transpose(0, 1)[-1]``, a sequence-first output's last step (``out[-1]``, or
    ``out[-1, :, :]``): the step of the batch-first ``y``, ``y[:, -1]``."""
    if order[:2] != [1, 0]:
        return False
    changed, every = False, slice(None)
    for user in list(node.users):
        index = user.args[1] if user.op == "call_function" \
            and user.target is operator.getitem and len(user.args) == 2 else None
        index = (index,) if isinstance(index, int) else index
        # out[-1], out[-1, :], out[-1, :, :]: the step, every sample and feature
        if isinstance(index, tuple) and index and isinstance(index[0], int) \
                and all(i == every for i in index[1:]):
            user.args = (node.args[0], (every, index[0], *index[2:]))
            changed = True
    if changed and not node.users:
        gm.graph.erase_node(node)
    return changed


_REDUCES = ("mean", "sum", "amax", "amin", torch.mean, torch.sum, torch.amax, torch.amin)


def _reduced(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """A mean or sum over one dimension of a permuted tensor (a sequence-first output pooled
    over its steps, ``out.mean(0)``): the same reduction of the tensor before the permute, then
    the permute of what is left (none where that keeps the order)."""
    for user in list(node.users):
        bound = dict(zip(("input", "dim", "keepdim"), user.args), **user.kwargs)
        dim = bound.get("dim")
        if not calls(user, _REDUCES) or bound.get("input") is not node or set(bound) - \
                {"input", "dim", "keepdim"} or bound.get("keepdim", False) is not False \
                or not isinstance(dim, int) or not isinstance(values.get(user), torch.Tensor):
            continue
        dim %= len(order)
        left = [d for d in order if d != order[dim]]
        left = [d - (d > order[dim]) for d in left]
        with gm.graph.inserting_before(user):
            reduced = gm.graph.create_node(user.op, user.target, (node.args[0], order[dim]), {})
            reduced.meta.update({k: v for k, v in user.meta.items() if k != "val"})
            moved = reduced if left == sorted(left) else \
                gm.graph.call_method("permute", (reduced, *left))
        values[reduced] = values[user] if moved is reduced else \
            values[user].permute(*[left.index(d) for d in range(len(left))])
        values[moved] = values[user]
        user.replace_all_uses_with(moved)
        gm.graph.erase_node(user)
        if not node.users:
            gm.graph.erase_node(node)
        return True
    return False


_MAXES = ("max", "min", torch.max, torch.min)


def _max_over(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """The largest (or smallest) value over one dimension of a permuted tensor, with where it
    is (a sequence-first output's steps max-pooled, ``out.max(0)[0]``, ``torch.max(out, 0)``):
    the same of the tensor before the permute, where what is left keeps its order."""
    for user in list(node.users):
        bound = dict(zip(("input", "dim", "keepdim"), user.args), **user.kwargs)
        dim = bound.get("dim")
        if not calls(user, _MAXES) or bound.get("input") is not node or set(bound) - \
                {"input", "dim", "keepdim"} or bound.get("keepdim", False) is not False \
                or not isinstance(dim, int) or isinstance(dim, bool):
            continue
        dim %= len(order)
        left = [d for d in order if d != order[dim]]
        if left != sorted(left):  # a permute of the values and of the places: not this
            continue
        user.args, user.kwargs = (node.args[0], order[dim]), {}
        if not node.users:
            gm.graph.erase_node(node)
        return True
    return False


_CATS = (torch.cat, torch.concat, torch.concatenate)


def _joined(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """Tensors permuted alike joined (RCNN's ``torch.cat((output, embedded), 2)`` of a
    sequence-first LSTM's output and its input): the tensors before the permutes joined along
    the dimension the permute put there, then the permute."""
    for user in list(node.users):
        if not calls(user, _CATS) or not user.args or not isinstance(user.args[0], (list, tuple)):
            continue
        parts, dim = list(user.args[0]), user.args[1] if len(user.args) > 1 \
            else user.kwargs.get("dim", 0)
        if set(user.kwargs) - {"dim"} or not isinstance(dim, int) or len(user.args) > 2 \
                or not all(isinstance(t, fx.Node) and _order(t, values) == order
                           for t in parts) or not isinstance(values.get(user), torch.Tensor):
            continue
        with gm.graph.inserting_before(user):
            joined = gm.graph.call_function(torch.cat, ([t.args[0] for t in parts],
                                                        order[dim % len(order)]))
            moved = gm.graph.call_method("permute", (joined, *order))
        for made in (joined, moved):
            made.meta.update({k: v for k, v in user.meta.items() if k != "val"})
        back = [order.index(d) for d in range(len(order))]
        values[joined], values[moved] = values[user].permute(*back), values[user]
        user.replace_all_uses_with(moved)
        gm.graph.erase_node(user)
        for t in set(parts):
            if not t.users:
                gm.graph.erase_node(t)
        return True
    return False


def _embedded(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict) -> bool:
    """Token ids permuted, then looked up (``self.embedding(text.t())``, a text classifier's
    ``[B, S]`` ids made ``[S, B]`` for its sequence-first LSTM): the lookup of the ids as they
    were, then the permute with the embedding's last dimension kept last."""
    for user in list(node.users):
        if user.op == "call_module" and isinstance(gm.get_submodule(str(user.target)),
                                                   nn.Embedding) \
                and user.args == (node,) and not user.kwargs:
            pass
        elif calls(user, (F.embedding,)) and user.args[:1] == (node,) and not any(
                a is node for a in (*user.args[1:], *user.kwargs.values())):
            pass
        else:
            continue
        if not isinstance(values.get(user), torch.Tensor):
            return False
        user.args = (node.args[0], *user.args[1:])
        with gm.graph.inserting_after(user):
            moved = gm.graph.call_method("permute", (user, *order, len(order)))
        moved.meta.update({k: v for k, v in node.meta.items() if k != "val"})
        user.replace_all_uses_with(moved, delete_user_cb=lambda n, m=moved: n is not m)
        back = [order.index(d) for d in range(len(order))] + [len(order)]
        values[moved], values[user] = values[user], values[user].permute(*back)
        if not node.users:
            gm.graph.erase_node(node)
        return True
    return False


def _stacked_one(gm: fx.GraphModule, node: fx.Node, values: dict) -> bool:
    """``y.unsqueeze(0)``, a stack of one layer's output before the batch (DETR's decoder
    returns its layers' outputs so, its heads take ``[-1]``), moved down past what works on
    the last dimension and permutes that keep the stack first, until ``[-1]`` or ``[0]`` takes
    ``y`` back."""
    if not (calls(node, ("unsqueeze", torch.unsqueeze)) and len(node.args) == 2
            and node.args[1] == 0 and not node.kwargs and node.users
            and isinstance(values.get(node), torch.Tensor)):
        return False
    x = node.args[0]
    for user in list(node.users):
        rest = [a for a in (*user.args[1:], *user.kwargs.values()) if isinstance(a, fx.Node)]
        if user.op == "call_function" and user.target is operator.getitem \
                and len(user.args) == 2 and user.args[1] in (0, -1):
            user.replace_all_uses_with(x)
            gm.graph.erase_node(user)
        elif not rest and (_last_dim(gm, user) or _order(user, values) is not None
                           and _order(user, values)[0] == 0) and user.args[0] is node:
            order = _order(user, values)
            with gm.graph.inserting_before(user):
                if order is None:
                    user.args = (x, *user.args[1:])
                    taken = user
                else:
                    taken = gm.graph.call_method("permute", (x, *[d - 1 for d in order[1:]]))
                    taken.meta.update({k: v for k, v in user.meta.items() if k != "val"})
            with gm.graph.inserting_after(taken):
                stacked = gm.graph.call_method("unsqueeze", (taken, 0))
            stacked.meta.update({k: v for k, v in node.meta.items() if k != "val"})
            values[taken], values[stacked] = values[user][0], values[user]
            user.replace_all_uses_with(stacked, delete_user_cb=lambda n, s=stacked: n is not s)
            if taken is not user:
                gm.graph.erase_node(user)
        else:
            continue
        if not node.users:
            gm.graph.erase_node(node)
        return True
    return False


def _sink(gm: fx.GraphModule, node: fx.Node, order: list[int], values: dict,
          fixed: set[fx.Node]) -> bool:
    """Move ``node`` (a permute keeping the last dim last) below one of its users that works
    on the last dimension alone: the user takes the unpermuted tensor, a permute its result."""
    if order[-1] != len(order) - 1:
        return False
    back = [order.index(d) for d in range(len(order))]
    for user in list(node.users):
        others = [a for a in (*user.args, *user.kwargs.values())
                  if isinstance(a, fx.Node) and a is not node]
        if _last_dim(gm, user) and not others:
            replaced = {node: node.args[0]}
        elif calls(user, _BINARY) and not user.kwargs and len(user.args) == 2:
            replaced = {node: node.args[0]}
            for other in others:
                value = values.get(other)
                if _order(other, values) == order:
                    replaced[other] = other.args[0]
                elif (other in fixed or other in _sized(gm, values)) \
                        and isinstance(value, torch.Tensor) and value.dim() == len(order):
                    with gm.graph.inserting_before(user):
                        replaced[other] = gm.graph.call_method("permute", (other, *back))
                    values[replaced[other]] = value.permute(*back)
                elif not (isinstance(value, torch.Tensor) and value.dim() == 0):
                    return False
        else:
            continue
        if not isinstance(values.get(user), torch.Tensor):
            return False
        with gm.graph.inserting_before(user):
            user.args = tuple(replaced.get(a, a) if isinstance(a, fx.Node) else a
                              for a in user.args)
        with gm.graph.inserting_after(user):
            moved = gm.graph.call_method("permute", (user, *order))
        moved.meta.update({k: v for k, v in node.meta.items() if k != "val"})
        user.replace_all_uses_with(moved, delete_user_cb=lambda n, m=moved: n is not m)
        values[moved], values[user] = values[user], values[user].permute(*back)
        for old in replaced:
            if not old.users:
                gm.graph.erase_node(old)
        return True
    return False


def _last_dim(gm: fx.GraphModule, node: fx.Node) -> bool:
    """``node`` works on each vector along the last dimension alone."""
    if node.op == "call_module":
        module = gm.get_submodule(str(node.target))
        return isinstance(module, _LAST_DIM_MODULES) or isinstance(module, nn.LayerNorm) \
            and len(module.normalized_shape) == 1 \
            or isinstance(module, (nn.Softmax, nn.LogSoftmax)) and module.dim == -1
    if calls(node, _SOFTMAXES):  # over the last dim (a language model's log_softmax(dim=-1))
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
        rest = {k: v for k, v in node.kwargs.items() if k != "dim"}  # F's fx writes them all
        return dim == -1 and len(node.args) <= 2 and all(
            v is None or k == "_stacklevel" for k, v in rest.items())
    return calls(node, _ELEMENTWISE) or calls(node, (F.layer_norm,)) \
        and len(node.args) > 1 and len(node.args[1]) == 1


def _views_of_permuted(gm: fx.GraphModule, values: dict) -> bool:
    """A ``view`` of a permute left that moves the batch (the word language model's
    ``decoded.view(-1, ntoken)``, steps and samples as rows) takes it made contiguous, as the
    model's own view took its contiguous output, so that the import reaches the permute and
    refuses it at its line saying what to change."""
    changed = False
    for node in list(gm.graph.nodes):
        order = _order(node, values)
        if order is None or order[0] == 0:
            continue
        for user in list(node.users):
            if user.op == "call_method" and user.target == "view" and user.args[0] is node:
                with gm.graph.inserting_after(node):
                    made = gm.graph.call_method("contiguous", (node,))
                made.meta.update({k: v for k, v in node.meta.items() if k != "val"})
                user.args = (made, *user.args[1:])
                changed = True
    return changed


def _sized(gm: fx.GraphModule, values: dict) -> set[fx.Node]:
    """The tensors that follow from the inputs' sizes alone, none of their values: a table's
    rows taken to the length (the tutorial's ``self.pe[:x.size(0)]``, ``[S, 1, E]``), a mask
    made for it (``generate_square_subsequent_mask(src.size(0))``)."""
    data = set()
    for node in gm.graph.nodes:
        if node.op == "placeholder" or isinstance(values.get(node), torch.Tensor) \
                and any(a in data for a in node.all_input_nodes):
            data.add(node)
    return {n for n in gm.graph.nodes if n not in data
            and isinstance(values.get(n), torch.Tensor)}


def _fixed(gm: fx.GraphModule) -> set[fx.Node]:
    """The nodes whose values follow from no input: parameters, buffers, what is made of them."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    given = set(placeholders)
    for node in gm.graph.nodes:
        if any(a in given for a in node.all_input_nodes):
            given.add(node)
    return {n for n in gm.graph.nodes if n not in given}
