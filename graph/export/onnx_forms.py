"""Modules written to ONNX in another form than PyTorch's exporter would write them.

PyTorch's exporter refuses adaptive pooling whose output size does not divide the input size
("output size that are not factor of input size"), yet the file's sizes after the batch are
fixed, so each output window is known when the file is written: window ``i`` of ``out`` over a
length ``n`` covers ``[floor(i * n / out), ceil((i + 1) * n / out))``, as PyTorch computes it.
:func:`onnx_ready` swaps each such pool for :class:`FixedWindowPool`, which takes those windows
one dimension at a time (a mean or a maximum over a box is the same taken dimension by
dimension) with ``Slice``, ``ReduceMean``/``ReduceMax`` and ``Concat``.

A convolution with ``padding="same"`` and a dilation is written by PyTorch's exporter as
``auto_pad=SAME_UPPER`` with ``dilations``, which onnxruntime refuses to run ("Dilation not
supported for AutoPadType::SAME_UPPER"). :class:`SamePaddedConv` writes it as the explicit zero
``Pad`` PyTorch applies (the larger half after, when the span is even) and a convolution
without padding.

PyTorch's exporter writes ``nn.Unflatten`` with the batch size of the sample it exports on
fixed in the shapes it infers, so a ``reshape`` by ``x.shape[0]`` further on (a Reshape block
after an Unflatten and a Permute: a pixel shuffle) is written for that batch alone and fails at
any other. :class:`ReshapedUnflatten` writes it as the reshape it is.

Grouped-query attention (a ScaledDotProductAttention block with ``enable_gqa``) repeats each
key and value head for its group of query heads with ``repeat_interleave``, which PyTorch's
exporter writes as a dozen ``Shape``, ``OneHot``, ``Tile`` and ``Reshape`` nodes that compute
the repeat from the sizes. ``indexed_heads`` writes it as the one ``Gather`` of the heads
it is (``[0, 0, 1, 1]`` for two heads shared by four), which import-onnx reads back as the
block.

The model itself, and the code and TorchScript written from it, keep PyTorch's own modules.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

ADAPTIVE = {nn.AdaptiveAvgPool1d: "mean", nn.AdaptiveAvgPool2d: "mean",
            nn.AdaptiveAvgPool3d: "mean", nn.AdaptiveMaxPool1d: "max",
            nn.AdaptiveMaxPool2d: "max", nn.AdaptiveMaxPool3d: "max"}
CONVS = {nn.Conv1d: F.conv1d, nn.Conv2d: F.conv2d, nn.Conv3d: F.conv3d}


def windows(size: int, out: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each of ``out`` adaptive-pooling windows over ``size`` values.

    >>> windows(10, 3)
    [(0, 4), (3, 7), (6, 10)]
    """
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


class FixedWindowPool(nn.Module):
    """Adaptive pooling over an input of known trailing sizes ``sizes`` to ``out`` (one size per
    pooled dimension), as fixed slices reduced and joined again."""

    def __init__(self, op: str, sizes: tuple[int, ...], out: tuple[int, ...]):
        super().__init__()
        self.op = op
        self.plan = [windows(n, o) for n, o in zip(sizes, out)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, spans in enumerate(self.plan):
            dim = x.dim() - len(self.plan) + k
            parts = [x.narrow(dim, start, end - start) for start, end in spans]
            if self.op == "mean":
                parts = [p.mean(dim, keepdim=True) for p in parts]
            else:
                parts = [p.amax(dim, keepdim=True) for p in parts]
            x = torch.cat(parts, dim)
        return x


class SamePaddedConv(nn.Module):
    """``conv`` (padding "same", stride 1) as an explicit zero pad and an unpadded convolution,
    on ``conv``'s own weights."""

    def __init__(self, conv: nn.Module):
        super().__init__()
        self.conv = conv
        self.op = CONVS[type(conv)]
        pads: list[int] = []
        for k, d in zip(reversed(conv.kernel_size), reversed(conv.dilation)):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]  # F.pad: last dimension first
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        return self.op(F.pad(x, self.pads), c.weight, c.bias, c.stride, 0, c.dilation, c.groups)


class ReshapedUnflatten(nn.Module):
    """``unflatten`` (an ``nn.Unflatten``) as a reshape to the input's own sizes around
    ``dim``, which the exporter writes from the input's shape, its batch included."""

    def __init__(self, unflatten: nn.Unflatten):
        super().__init__()
        self.dim, self.sizes = unflatten.dim, list(unflatten.unflattened_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = self.dim % x.dim()
        return x.reshape(list(x.shape[:dim]) + self.sizes + list(x.shape[dim + 1:]))


def indexed_heads(attention: nn.Module, index: list[int]) -> nn.Module:
    """A copy of ``attention`` (a ScaledDotProductAttention with ``enable_gqa``) that repeats
    its key and value heads by ``index_select`` of ``index`` (each key head's number, once per
    query head of its group); same params, so the file names its nodes as the block's."""
    from ..modules import ScaledDotProductAttention

    class IndexedHeads(ScaledDotProductAttention):
        def forward(self, query, key=None, value=None, key_padding_mask=None):
            heads = torch.tensor(index, device=query.device)
            key = query if key is None else key
            value = key if value is None else value
            if key.shape[-3] != query.shape[-3]:
                key = key.index_select(-3, heads)
            if value.shape[-3] != query.shape[-3]:
                value = value.index_select(-3, heads)
            return super().forward(query, key, value, key_padding_mask)

    copied = copy.copy(attention)
    copied.__class__ = IndexedHeads
    return copied


def _seen(model: nn.Module, named: list[tuple[str, nn.Module]], inputs: tuple) -> dict:
    """The shapes of the inputs each of ``named`` is called with on ``inputs``."""
    seen: dict[str, list[tuple[int, ...]]] = {}
    hooks = [m.register_forward_pre_hook(
        lambda mod, args, name=name: seen.__setitem__(
            name, [tuple(a.shape) for a in args if isinstance(a, torch.Tensor)]))
        for name, m in named]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def _indexed_heads(model: nn.Module, inputs: tuple) -> nn.Module:
    """``model``, or a copy of it whose grouped-query attentions repeat their key and value
    heads by index (:func:`indexed_heads`)."""
    from ..modules import ScaledDotProductAttention

    grouped = [(name, m) for name, m in model.named_modules()
               if isinstance(m, ScaledDotProductAttention) and m.enable_gqa]
    if not grouped:
        return model
    swaps = {}
    for name, shapes in _seen(model, grouped, inputs).items():
        if len(shapes) < 2 or len(shapes[0]) < 3 or len(shapes[1]) < 3:
            continue
        heads, shared = shapes[0][-3], shapes[1][-3]
        if heads != shared and heads % shared == 0:
            swaps[name] = indexed_heads(model.get_submodule(name),
                                        [h // (heads // shared) for h in range(heads)])
    return _swap(model, swaps)


def _swap(model: nn.Module, swaps: dict[str, nn.Module]) -> nn.Module:
    if not swaps:
        return model
    ready = copy.deepcopy(model)
    for name, stand_in in swaps.items():
        parent, _, leaf = name.rpartition(".")
        setattr(ready.get_submodule(parent), leaf, copy.deepcopy(stand_in))
    return ready


def _plain_spectral_norms(model: nn.Module) -> nn.Module:
    """``model``, or a copy of it whose spectral-normed layers hold the weight their
    parametrisation gives in evaluation (divided by σ of the u and v kept) as a plain one: the
    exporter has no ONNX op for its ``torch.vdot``. The file computes what the model does in
    evaluation, where no power iteration runs."""
    from torch.nn.utils import parametrize

    from ..modules import SpectralNorm

    if not any(isinstance(m, SpectralNorm) for m in model.modules()):
        return model
    plain = copy.deepcopy(model).eval()
    with torch.no_grad():
        for module in plain.modules():
            if isinstance(module, SpectralNorm) and \
                    parametrize.is_parametrized(module.layer, "weight"):
                parametrize.remove_parametrizations(module.layer, "weight",
                                                    leave_parametrized=True)
    return plain


def onnx_ready(model: nn.Module, inputs: tuple) -> nn.Module:
    """``model``, or a copy of it with each adaptive pool that PyTorch's exporter refuses on
    ``inputs`` (its output size does not divide its input size) swapped for a
    :class:`FixedWindowPool` over the sizes it is called with, and each dilated "same"
    convolution for a :class:`SamePaddedConv`, and each ``nn.Unflatten`` for a
    :class:`ReshapedUnflatten`; spectral-normed weights plain (:func:`_plain_spectral_norms`);
    grouped-query attention's heads repeated by index (:func:`indexed_heads`)."""
    model = _indexed_heads(_plain_spectral_norms(model), inputs)
    swaps: dict[str, nn.Module] = {
        name: SamePaddedConv(m) for name, m in model.named_modules()
        if type(m) in CONVS and m.padding == "same" and any(d > 1 for d in m.dilation)
        and m.padding_mode == "zeros"}
    swaps.update({name: ReshapedUnflatten(m) for name, m in model.named_modules()
                  if type(m) is nn.Unflatten and isinstance(m.dim, int)})
    model = _swap(model, swaps)
    pools = [(name, m) for name, m in model.named_modules() if type(m) in ADAPTIVE]
    if not pools:
        return model
    seen = _seen(model, pools, inputs)
    swaps = {}
    for name, pool in pools:
        if name not in seen:
            continue
        rank = int(type(pool).__name__[-2])  # AdaptiveAvgPool2d pools 2 dimensions
        out = _sizes(pool.output_size, rank)
        sizes = seen[name][0][-rank:]
        out = tuple(n if o is None else o for n, o in zip(sizes, out))
        if any(n % o for n, o in zip(sizes, out)):
            swaps[name] = FixedWindowPool(ADAPTIVE[type(pool)], sizes, out)
    return _swap(model, swaps)


def _sizes(output_size, rank: int) -> tuple:
    if isinstance(output_size, (tuple, list)):
        return tuple(output_size)
    return (output_size,) * rank
