"""Rows and columns no window reads: cropped off before the layers that would compute on them.

A convolution or pooling without padding slides its window in whole steps and drops what is
left at the far edge: ``MaxPool2d(2)`` on an 11×11 map reads its first 10 rows and columns only.
The design note's CNN (28×28 → ``Conv2d(3)`` 26 → pool 13 → ``Conv2d(3)`` 11 → pool 5) computes
that 11th row and column of its second convolution, 17 % of its arithmetic, forward and in both
gradients, for the pooling to drop them. Followed back through every layer before it, the pooling
reads the second convolution's first 10 rows, which read 12 of the first pooling's 13, which read
24 of the first convolution's 26, which read 26 of the image's 28: cropping the image to 26×26
leaves every value the model outputs the same, and every layer computes only what is read.

:func:`crop_unread_edges` rewrites a model's fx graphs where a chain of layers each feeding only
the next, of window layers (``nn.Conv1d``/``2d``/``3d`` without padding; ``nn.MaxPool``/
``nn.AvgPool`` ``1d``/``2d``/``3d`` without padding, rounding down, no indices returned) and
element-wise activations between them, starts on a tensor that needs no gradient (the data, or a
frozen layer's output): the chain's input goes through :func:`crop_to_read`, which works out from
the input's own size, at each call, how much of it the chain's last layer reads, and keeps that.
The cropped rows would have had zero gradient, and the kept outputs read the same values, so the
outputs and gradients are the same up to float rounding (the kernels may add their sums in another
order on a map of another size). No crop is made where a hook watches a layer of the chain (layer
diagnostics and attributions then see the maps as drawn), while tracing or scripting, or where the
input needs a gradient: cropping a learned map costs a copy forward and a zero-filled gradient
backward, which can exceed what it saves.

Bit for bit the same on seed-cnn here except its first convolution's weight gradient at some
batch sizes (the sum over 26 columns, not 28, is added in another order). seed-cnn trains
1.12-1.17× faster per fp32 step with it, 1.07-1.15× with ``bf16-mixed``, on one and two
threads (``benchmarks/train_step_variants_bench.py --variants eager no-crop``).

>>> import torch
>>> from torch import fx, nn
>>> model = fx.symbolic_trace(nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2)))
>>> crop_unread_edges(model)
1
>>> crop_to_read(torch.zeros(1, 1, 9, 9), ((3, 1, 2, 2), (3, 1, 2, 2))).shape  # 9 → 7 → 3 reads 8
torch.Size([1, 1, 8, 8])
"""

from __future__ import annotations

import torch
from torch import fx, nn

from .fused_stage import hooked

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
# element-wise, deterministic and stateless: a value of their output depends on the same value of
# their input only (no Dropout: its random mask would fall on other values; no normalisation:
# its statistics would change)
ELEMENTWISE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
               nn.Mish, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Sigmoid, nn.Tanh,
               nn.Softplus, nn.Softsign, nn.Tanhshrink, nn.PReLU, nn.Identity)


def crop_unread_edges(gm: fx.GraphModule) -> int:
    """Route the input of each chain of ``gm``'s graph whose far edges go unread through
    :func:`crop_to_read` (see the module docstring); how many chains were routed."""
    modules = dict(gm.named_modules())
    graph, routed = gm.graph, 0
    links = {node: _link(node, modules) for node in graph.nodes}
    for node in list(graph.nodes):
        if links.get(node) is None or _continues(node, links):
            continue  # not a chain's first layer
        chain = [node]
        while (nxt := _next_link(chain[-1], links)) is not None:
            chain.append(nxt)
        plan = _plan([links[n] for n in chain if links[n]])
        if plan is None:
            continue
        source = node.args[0]
        with graph.inserting_before(node):
            attrs = tuple(graph.get_attr(n.target) for n in chain)
            crop = graph.call_function(crop_to_read, (source, plan, *attrs))
        node.replace_input_with(source, crop)
        routed += 1
    if routed:
        graph.lint()
        gm.recompile()
    return routed


def crop_to_read(x, plan: tuple, *modules: nn.Module):
    """``x`` without the far rows (columns, planes) that the layers of ``plan`` never read,
    where cropping applies (see the module docstring); ``plan`` holds, for each spatial
    dimension, a ``(window extent, stride)`` pair per window layer, flattened."""
    if (not isinstance(x, torch.Tensor) or x.requires_grad or x.dim() < len(plan) + 1
            or torch.jit.is_scripting() or torch.jit.is_tracing()
            or torch.compiler.is_compiling() or hooked(*modules)):
        return x
    first = x.dim() - len(plan)  # the first spatial dimension
    for d, steps in enumerate(plan):
        read = _read(x.shape[first + d], steps)
        if read is not None:
            x = x.narrow(first + d, 0, read)
    return x


def _read(size: int, steps: tuple):
    """How many of ``size`` leading values the windows ``steps`` read, where that is fewer and
    cropping the rest saves a layer some work (one of their outputs shrinks); else None (also
    when the windows do not fit: the layers themselves then say why)."""
    pairs = list(zip(steps[::2], steps[1::2]))
    sizes = [size]
    for extent, stride in pairs:
        if sizes[-1] < extent:
            return None
        sizes.append((sizes[-1] - extent) // stride + 1)
    need = [sizes[-1]]  # how many of each layer's outputs are read, from the last back
    for extent, stride in reversed(pairs):
        need.append((need[-1] - 1) * stride + extent)
    need.reverse()
    # only the input shrinking saves no layer any work: it would cost a copy for nothing
    shrinks = any(n < s for n, s in zip(need[1:-1], sizes[1:-1]))
    return need[0] if shrinks else None


def _plan(windows: list):
    """``crop_to_read``'s plan for the window layers ``windows``, in order, or None where
    cropping can never save a layer work: fewer than two window layers (cropping one layer's
    input leaves its outputs as they are) or all strides 1 (nothing is ever dropped)."""
    if len(windows) < 2 or len({len(w) for w in windows}) != 1:
        return None
    if all(stride == 1 for w in windows for _, stride in w):
        return None
    return tuple(tuple(v for w in windows for v in w[d]) for d in range(len(windows[0])))


def _link(node: fx.Node, modules: dict):
    """For a layer that may sit in a chain: its ``((extent, stride), …)`` per spatial
    dimension when it is a window layer, ``()`` when it is element-wise; None otherwise."""
    if node.op != "call_module" or len(node.args) != 1 or node.kwargs \
            or not isinstance(node.args[0], fx.Node):
        return None
    m = modules.get(node.target)
    if type(m) in ELEMENTWISE:
        return ()
    if type(m) in CONVS:
        dims = len(m.kernel_size)
        padded = m.padding != "valid" and any(_tuple(m.padding, dims))  # "same" counts
        if m.padding_mode != "zeros" or padded:
            return None
        return tuple((m.dilation[d] * (m.kernel_size[d] - 1) + 1, m.stride[d]) for d in range(dims))
    if type(m) in POOLS:
        dims = int(type(m).__name__[-2])
        if m.ceil_mode or any(_tuple(m.padding, dims)) or getattr(m, "return_indices", False):
            return None
        kernel, stride = _tuple(m.kernel_size, dims), _tuple(m.stride or m.kernel_size, dims)
        dilation = _tuple(getattr(m, "dilation", 1), dims)
        return tuple((dilation[d] * (kernel[d] - 1) + 1, stride[d]) for d in range(dims))
    return None


def _next_link(node: fx.Node, links: dict):
    """The layer after ``node`` in its chain: its only user, itself a link reading ``node``."""
    if len(node.users) != 1:
        return None
    user = next(iter(node.users))
    return user if links.get(user) is not None and user.args[0] is node else None


def _continues(node: fx.Node, links: dict) -> bool:
    """Whether ``node`` continues a chain (its input is a link feeding only it)."""
    source = node.args[0]
    return links.get(source) is not None and _next_link(source, links) is node


def _tuple(value, dims: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
