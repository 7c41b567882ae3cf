"""Rearrangements of a tensor's axes that have no block of their own, written as the reshapes,
permutes and reductions that they are, which import as Reshape, Permute and Reduce blocks::

    Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=4, p2=4)    # einops (vit-pytorch)
    x = x.reshape(b, c, h // 4, 4, w // 4, 4).permute(0, 2, 4, 3, 5, 1)
    x = x.reshape(b, (h // 4) * (w // 4), 4 * 4 * c)                   # the same, in torch

    nn.PixelShuffle(2)   # [C·4, H, W] → reshape [C, 2, 2, H, W] → permute → [C, 2H, 2W]

einops' layers (``Rearrange``, ``Reduce``) and functions (``rearrange``, ``reduce``,
``repeat``) look up their recipe by the tensor's number of dimensions, which ``torch.fx`` cannot
know while it traces: they are traced whole (:func:`einops_traced`, :func:`einops_layer`), and
once the traced graph has run (so that each input's dimensions are known) each is replaced by
einops' own recipe for those dimensions (:func:`expand_rearrangements`), its sizes read from
the tensor as the model's code would (``x.shape[2] // 4``). einops is not needed to import
anything else: it is looked up only where the model's code has imported it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .rewriting import replace, settled

# fx node meta: what the model's code wrote, for a node made from it (``einops.rearrange(x,
# 'b n d -> (b n) d')``), which an import error names beside the reshape it could not import
WRITTEN = "layerloom_written"
_LAYERS = ("Rearrange", "Reduce")
_FUNCTIONS = ("rearrange", "reduce", "repeat")
_SHUFFLES = (nn.PixelShuffle, nn.PixelUnshuffle)


def _einops() -> Any:
    """The einops package where the model's code has imported it (else None)."""
    return sys.modules.get("einops")


def einops_layer(module: nn.Module) -> bool:
    """``module`` is einops' ``Rearrange`` or ``Reduce`` layer: kept whole by the trace."""
    cls = type(module)
    return cls.__module__ == "einops.layers.torch" and cls.__name__ in _LAYERS


def _leaf(function: Any, name: str) -> Any:
    """``function`` (einops' own) as one node of the trace where it is given a traced tensor
    (or a list of them), and as itself otherwise."""
    def call(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        proxies = [t for t in (tensor if isinstance(tensor, (list, tuple)) else [tensor])
                   if isinstance(t, fx.Proxy)]
        if not proxies:
            return function(tensor, *args, **kwargs)
        return proxies[0].tracer.create_proxy("call_function", function, (tensor, *args),
                                              kwargs)
    call.__wrapped__ = function
    call.__name__ = name
    return call


@contextlib.contextmanager
def einops_traced(spaces: list[dict]) -> Iterator[None]:
    """While the model is traced, einops' ``rearrange``, ``reduce`` and ``repeat`` (as the
    model's modules name them, ``spaces``, and as ``einops.rearrange``) are each one node."""
    einops = _einops()
    if einops is None:
        yield
        return
    originals = {name: getattr(einops, name) for name in _FUNCTIONS}
    stand_ins = {name: _leaf(function, name) for name, function in originals.items()}
    patched: list[tuple[Any, str]] = []
    try:
        for name, function in originals.items():
            for space in [vars(einops), *spaces]:
                if space.get(name) is function:
                    space[name] = stand_ins[name]
                    patched.append((space, name))
        yield
    finally:
        for space, name in patched:
            space[name] = originals[name]


def expand_rearrangements(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each einops call and pixel shuffle of ``gm`` by its reshapes and permutes, for
    the dimensions ``values`` (the traced graph's run) gives its input. Whether any was."""
    changed = False
    for node in list(gm.graph.nodes):
        expand = _expansion(gm, node)
        source = node.args[0] if node.args else None
        value = values.get(source) if isinstance(source, fx.Node) else None
        if expand is None or not isinstance(value, torch.Tensor):
            continue
        tracer = fx.proxy.GraphAppendingTracer(gm.graph)
        result = replace(gm, node, partial(copy_origin, node, written=_written(gm, node)),
                         expand, fx.Proxy(source, tracer), value.ndim)
        values[result] = values.get(node)  # the same tensor: a later call takes it
        changed = True
    return settled(gm, changed, lint=False)


def _expansion(gm: fx.GraphModule, node: fx.Node) -> Any:
    """What replaces ``node``: a function of its input (a proxy) and the input's number of
    dimensions; None where ``node`` is none of these rearrangements."""
    if node.op == "call_module":
        module = gm.get_submodule(node.target)
        if isinstance(module, _SHUFFLES):
            factor = module.upscale_factor if isinstance(module, nn.PixelShuffle) \
                else module.downscale_factor
            return _shuffle(factor, isinstance(module, nn.PixelShuffle))
        if einops_layer(module):
            return lambda x, ndim: _apply(module._multirecipe[ndim], x,
                                          getattr(module, "reduction", "rearrange"),
                                          module._axes_lengths)
        return None
    if node.op != "call_function":
        return None
    for targets, keyword, up in (((F.pixel_shuffle, torch.pixel_shuffle), "upscale_factor",
                                  True),
                                 ((F.pixel_unshuffle, torch.pixel_unshuffle),
                                  "downscale_factor", False)):
        if node.target in targets:
            factor = node.args[1] if len(node.args) > 1 else node.kwargs.get(keyword)
            return _shuffle(factor, up) if type(factor) is int else None
    return _einops_call(node) if len(node.args) > 1 else None


def _einops_call(node: fx.Node) -> Any:
    einops = _einops()
    if einops is None or isinstance(node.args[0], (list, tuple)):
        return None
    name = next((n for n in _FUNCTIONS if node.target is getattr(einops, n, None)), None)
    if name is None or not isinstance(node.args[1], str):
        return None
    pattern, lengths = node.args[1], dict(node.kwargs)
    if name == "reduce":
        reduction = node.args[2] if len(node.args) > 2 else lengths.pop("reduction", None)
        if not isinstance(reduction, str):
            return None  # a reduction of the model's own: left to the import to refuse
    else:
        reduction = name

    def expand(x: fx.Proxy, ndim: int) -> fx.Proxy:
        from einops.einops import _prepare_transformation_recipe

        recipe = _prepare_transformation_recipe(pattern, reduction, tuple(lengths), ndim)
        tracer = x.tracer
        given = [(axis, fx.Proxy(size, tracer) if isinstance(size, fx.Node) else size)
                 for axis, size in lengths.items()]
        return _apply(recipe, x, reduction, given)
    return expand


def _apply(recipe: Any, x: fx.Proxy, reduction: str, lengths: Any) -> fx.Proxy:
    """einops' own recipe, applied as its torch backend does, on the traced ``x``."""
    from einops._torch_specific import apply_for_scriptable_torch

    return apply_for_scriptable_torch(recipe, x, reduction_type=reduction, axes_dims=lengths)


def _shuffle(factor: int, up: bool) -> Any:
    """``pixel_shuffle`` (``up``) or ``pixel_unshuffle`` by ``factor``, on the last three
    dimensions (C, H, W), as torch defines them. A shuffle splits the channels and joins
    neighbours (an Unflatten, Flattens), so its blocks hold at any H and W; an unshuffle splits
    H and W, a Reshape to the traced size."""
    def expand(x: fx.Proxy, ndim: int) -> fx.Proxy:
        c = ndim - 3  # the channels' dimension
        lead = [x.shape[i] for i in range(c)]
        h, w = x.shape[c + 1], x.shape[c + 2]
        if up:  # [C·r·r, H, W] → [C, r, r, H, W] → [C, H, r, W, r] → [C, H·r, W·r]
            x = x.reshape(*lead, -1, factor, factor, h, w)
            x = x.permute(*range(c), c, c + 3, c + 1, c + 4, c + 2)
            return x.flatten(c + 3, c + 4).flatten(c + 1, c + 2)
        # [C, H·r, W·r] → [C, H, r, W, r] → [C, r, r, H, W] → [C·r·r, H, W]
        x = x.reshape(*lead, x.shape[c], h // factor, factor, w // factor, factor)
        x = x.permute(*range(c), c, c + 2, c + 4, c + 1, c + 3)
        return x.flatten(c, c + 2)
    return expand


def _written(gm: fx.GraphModule, node: fx.Node) -> str:
    """How the model's code wrote ``node``: ``Rearrange('b n d -> b d n')``,
    ``PixelShuffle(upscale_factor=2)``, ``einops.rearrange(x, 'b n d -> (b n) d')``."""
    if node.op == "call_module":
        module = gm.get_submodule(node.target)
        pattern = getattr(module, "pattern", None)
        return f"{type(module).__name__}({pattern!r})" if pattern else repr(module)
    name = getattr(node.target, "__name__", "")
    if name.startswith("pixel_"):
        return f"torch.nn.functional.{name}"
    return f"einops.{name}(x, {node.args[1]!r})"


def copy_origin(old: fx.Node, made: list[fx.Node], written: str) -> None:
    """The nodes ``made`` for ``old`` say where it came from (its line, its module, what the
    code wrote), as the import's names and messages need."""
    for node in made:
        node.meta[WRITTEN] = written
        for key in ("stack_trace", "nn_module_stack"):
            if key in old.meta:
                node.meta[key] = old.meta[key]
