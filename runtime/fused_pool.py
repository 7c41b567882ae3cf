"""A 2×2 max pooling and the ReLU after it, as one C loop over a channels-last map on a CPU.

After ``rewrite.py`` moved a ReLU behind its pooling, seed-cnn's second stage ends in
``MaxPool2d(2)`` then ``ReLU``. As modules the pair makes four passes and two buffers a step:
the pooling writes its output and an int64 index per value, the ReLU rewrites the output; in
the backward pass the ReLU masks the gradient, and the pooling fills a zeroed map of its
input's size before scattering the gradient into it. Here (``csrc/pool_relu.c``, compiled for
this CPU by :mod:`runtime.native`) the forward pass writes the output and one byte per value
saying which of its window's four inputs won (or that the ReLU zeroed it), and the backward
pass writes each input gradient once, from that byte: 30 µs against 140-160 µs a step for
seed-cnn's 32 × 64 × 10 × 10 map on two threads, float32 or bfloat16
(``benchmarks/train_step_variants_bench.py``, variant ``no-pool-relu``).

:func:`fuse_pool_relu` rewrites a model's fx graph where a plain ``nn.MaxPool2d`` of 2 (stride
2, no padding, dilation 1, floor, no indices returned) feeds only a plain ``nn.ReLU``, each
called once. The modules stay in the model (same names, ``state_dict``, checkpoints, exports),
and each call checks again: the loop runs only for a float32 or bfloat16 CPU input laid out
channels last (the trainer's layout for convolutions), with no hooks on the two modules (layer
diagnostics and attributions watch them) and outside tracing and scripting; anything else runs
the modules. The results are the modules' bit for bit: the window's first maximum wins, NaN
wins and is kept, and the gradient is zero where the output is zero.
"""

from __future__ import annotations

import ctypes

import torch
from torch import fx, nn

from . import native
from .fused_stage import eager_on_cpu, hooked, max_pool_of_2
from .narrow_linear import MAX_CAST, narrow_linear

SOURCE = "pool_relu.c"
# values a thread must get before the map is shared among torch's threads (below this, handing
# over costs more than the loop)
MIN_VALUES_PER_THREAD = 1 << 14

_P, _I, _L = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
_FORWARD_ARGS = [_P, _I, _I, _I, _I, _P, _L, _L, _L, _L, _P, _P, _I, _I, _I]
_BACKWARD_ARGS = [_P, _L, _L, _L, _L, _P, _I, _I, _I, _I, _P, _P, _I, _I, _I]
_kernels: dict[str, tuple] = {}  # SOURCE: (forward, backward, threaded), once built


def fuse_pool_relu(gm: fx.GraphModule) -> int:
    """Route each 2×2 max pool → ReLU pair of ``gm``'s graph through :func:`pool_relu`; how
    many were routed."""
    modules = dict(gm.named_modules())
    graph, fused = gm.graph, 0
    pairs = [(p, a) for p in list(graph.nodes) if (a := _pair_from(p, modules)) is not None]
    if not pairs or kernel() is None:  # built only for a model that has such a pair
        return 0
    for pool_node, act_node in pairs:
        with graph.inserting_before(act_node):
            attrs = [graph.get_attr(n.target) for n in (pool_node, act_node)]
            call = graph.call_function(pool_relu, (pool_node.args[0], *attrs),
                                       {"flat": _flattened(act_node, modules)})
        act_node.replace_all_uses_with(call)
        graph.erase_node(act_node)
        graph.erase_node(pool_node)
        fused += 1
    if fused:
        graph.lint()
        gm.recompile()
    return fused


def pool_relu(x, pool: nn.MaxPool2d, act: nn.ReLU, flat: bool = False, widen: bool = False):
    """``act(pool(x))``: through the C loop where it applies (see the module docstring), else
    through the modules. ``flat``: only a Flatten reads the result, which the loop then lays
    out channels first (as the Flatten orders its values: a view there instead of a copy, and
    its gradient comes back in the same order); otherwise channels last, as the modules do.
    ``widen`` (set by :func:`widen_for_float32_heads`): that Flatten feeds only a narrow Linear
    that computes in float32 under bfloat16 autocast; a bfloat16 map is then handed on as the
    float32 values it holds, and the float32 gradient rounded back to bfloat16 in the loop, as
    the head's two casts would (the same numbers, two casts fewer a step)."""
    if _runs_fused(x, pool, act):
        return _PoolReLU.apply(x, flat, flat and widen and _widens(x))
    return act(pool(x))


def widen_for_float32_heads(gm: fx.GraphModule) -> int:
    """Mark each :func:`pool_relu` call whose Flatten feeds only a :func:`narrow_linear` call
    (run ``narrow_linear.float32_narrow_linears`` first) to hand on float32; how many."""
    modules = dict(gm.named_modules())
    marked = 0
    for node in gm.graph.nodes:
        if node.op != "call_function" or node.target is not narrow_linear:
            continue
        flatten = node.args[0]
        if not (isinstance(flatten, fx.Node) and flatten.op == "call_module"
                and type(modules.get(flatten.target)) is nn.Flatten
                and list(flatten.users) == [node]):
            continue
        pooled = flatten.args[0]
        if isinstance(pooled, fx.Node) and pooled.target is pool_relu \
                and pooled.kwargs.get("flat") and list(pooled.users) == [flatten]:
            pooled.kwargs = {**pooled.kwargs, "widen": True}
            marked += 1
    if marked:
        gm.recompile()
    return marked


def _widens(x: torch.Tensor) -> bool:
    """Whether the narrow Linear after the Flatten will compute in float32 here (its own test,
    ``narrow_linear.narrow_linear``): CPU bfloat16 autocast, a bfloat16 map, a small enough
    result."""
    return (x.dtype == torch.bfloat16 and torch.is_autocast_enabled("cpu")
            and torch.get_autocast_dtype("cpu") == torch.bfloat16
            and x.numel() // 4 <= MAX_CAST)


def fusable(pool: nn.Module, act: nn.Module) -> bool:
    """Whether the two modules compute what the C loop computes."""
    return max_pool_of_2(pool) and type(act) is nn.ReLU


def kernel():
    """The compiled ``(forward, backward, threaded)``, or None where it cannot be built here
    (``native.why_not(SOURCE, {})`` says why)."""
    if not native.enabled():
        return None
    if SOURCE not in _kernels:
        pair = native.load_pair(SOURCE, {}, "ll_pool_relu", _FORWARD_ARGS, _BACKWARD_ARGS)
        if pair is None:
            return None
        _kernels[SOURCE] = pair
    return _kernels[SOURCE]


def _pair_from(pool_node: fx.Node, modules: dict):
    """The ReLU node when ``pool_node`` is a fusable pooling feeding only it; else None."""
    if pool_node.op != "call_module" or len(pool_node.args) != 1 or pool_node.kwargs:
        return None
    users = list(pool_node.users)
    if len(users) != 1 or users[0].op != "call_module" or users[0].args != (pool_node,) \
            or users[0].kwargs:
        return None
    act_node = users[0]
    if not fusable(modules.get(pool_node.target), modules.get(act_node.target)):
        return None
    called = [n.target for n in pool_node.graph.nodes if n.op == "call_module"]
    if called.count(pool_node.target) != 1 or called.count(act_node.target) != 1:
        return None  # a module called twice stays a module
    return act_node


def _flattened(act_node: fx.Node, modules: dict) -> bool:
    """Whether the ReLU's result is read only by Flatten modules that keep the batch."""
    users = list(act_node.users)
    return bool(users) and all(
        u.op == "call_module" and type(modules.get(u.target)) is nn.Flatten
        and modules[u.target].start_dim == 1 and modules[u.target].end_dim in (-1, 3)
        for u in users)


def _runs_fused(x, pool: nn.MaxPool2d, act: nn.ReLU) -> bool:
    if not eager_on_cpu(x, torch.float32, torch.bfloat16):
        return False
    _, channels, h, w = x.shape
    return (channels > 0 and h >= 2 and w >= 2
            and x.is_contiguous(memory_format=torch.channels_last)
            and not hooked(pool, act) and kernel() is not None)


def _threads(values: int, threaded: bool) -> int:
    if not threaded:
        return 1
    return max(1, min(torch.get_num_threads(), values // MIN_VALUES_PER_THREAD))


class _PoolReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, flat, widen):
        forward, _, threaded = _kernels[SOURCE]
        batch, channels, h, w = x.shape
        ph, pw = h // 2, w // 2
        out = torch.empty((batch, channels, ph, pw),
                          dtype=torch.float32 if widen else x.dtype, memory_format=(
                              torch.contiguous_format if flat else torch.channels_last))
        win = torch.empty((batch, ph, pw, channels), dtype=torch.uint8)
        bf16 = x.dtype == torch.bfloat16
        threads = _threads(x.numel(), threaded)
        scratch = _scratch(threads, pw * channels)
        forward(x.data_ptr(), batch, h, w, channels, out.data_ptr(), *out.stride(),
                win.data_ptr(), scratch.data_ptr(), bf16, widen, threads)
        ctx.save_for_backward(win)
        ctx.shape, ctx.bf16, ctx.widen = x.shape, bf16, widen
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        _, backward, threaded = _kernels[SOURCE]
        (win,) = ctx.saved_tensors
        batch, channels, h, w = ctx.shape
        dtype = torch.bfloat16 if ctx.bf16 else torch.float32
        handed = torch.float32 if ctx.widen else dtype  # the dtype of the output handed on
        if grad.dtype != handed:
            grad = grad.to(handed)
        grad_x = torch.empty((batch, channels, h, w), dtype=dtype,
                             memory_format=torch.channels_last)
        threads = _threads(grad_x.numel(), threaded)
        scratch = _scratch(threads, (w // 2) * channels)
        backward(grad.data_ptr(), *grad.stride(), win.data_ptr(), batch, h, w, channels,
                 grad_x.data_ptr(), scratch.data_ptr(), ctx.bf16, ctx.widen, threads)
        return grad_x, None, None


def _scratch(threads: int, row: int) -> torch.Tensor:
    """Room for one output row of float32 values per thread (the kernel's reordering buffer)."""
    return torch.empty(threads * row, dtype=torch.float32)
