"""A convolution on Intel's AMX tiles, for bfloat16 mixed-precision training on CPUs that have them.

Under CPU autocast (``precision: bf16-mixed``) an ``nn.Conv2d`` casts its weight to bfloat16
and calls oneDNN, whose bfloat16 kernels use the AMX tiles of a Sapphire Rapids (or later)
Xeon. For the small maps of a CNN's middle layers much of each call is not arithmetic: oneDNN
describes the problem, allocates and reorders the weight again on every call, and its weight
gradient comes out in bfloat16 for autocast to cast back to float32. Here
(``csrc/conv_amx.c``, compiled for this CPU by :mod:`runtime.native`) the products run on the
same tiles with no set-up between calls: the float32 weight is rounded to bfloat16 as autocast's cast would round it, products are summed
in float32 as oneDNN sums them, and the weight's and bias's gradients are handed back in
float32 without the rounding to bfloat16 in between. seed-cnn's conv2 (32 → 64 maps of
12 × 12, batch 32, one thread, timed alone): 90 µs forward and about 350 µs backward against
oneDNN's 150 and 600; a whole bf16-mixed step at batch 32 on two threads is 1.24× faster by
wall clock, 1.18× per CPU-second
(``benchmarks/train_step_variants_bench.py --variants eager no-amx-conv``).

:func:`route_amx_convs` rewrites a model's fx graph so that each plain ``nn.Conv2d`` the kernel
covers (stride 1, no padding, no dilation, one group, input and output channels multiples of
32, called once) goes through :func:`amx_conv`. The module stays in the model (same names,
``state_dict``, checkpoints, exports), and each call checks again: the kernel runs only under
CPU bfloat16 autocast on a CPU with AMX (Linux lends a process the tiles when asked; where it
refuses, or there is no compiler, nothing changes), on a float32 or bfloat16 input with at
least 16 positions per image, with no hooks on the module and outside tracing and scripting;
anything else runs the module. The trainer applies it for mixed precision only.

Results are autocast's to bfloat16 rounding: the sums are the same products in another order
(as between two oneDNN kernels), so outputs and input gradients differ from oneDNN's in the
last bit of some values, and the weight's gradient is float32 where oneDNN's was rounded.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from pathlib import Path

import torch
from torch import fx, nn

from . import native
from .fused_stage import eager_on_cpu, hooked

SOURCE = "conv_amx.c"
MIN_POSITIONS = 16  # one tile's rows: an image's output (and input) positions, at least

_P, _I = ctypes.c_void_p, ctypes.c_int
_FORWARD_ARGS = [_P, _I, _I, _I, _I, _P, _P, _I, _I, _I, _P, _P, _I]
_BACKWARD_ARGS = [_P, _P, _I, _I, _I, _I, _P, _I, _I, _I, _P, _P, _P, _P, _P, _I]
_kernels: dict[str, tuple] = {}  # SOURCE: (forward, backward, threaded, scratch), once ready


def route_amx_convs(gm: fx.GraphModule) -> int:
    """Route each convolution of ``gm``'s graph that the kernel covers through
    :func:`amx_conv`; how many were routed (none where this CPU has no AMX)."""
    modules = dict(gm.named_modules())
    called = [n.target for n in gm.graph.nodes if n.op == "call_module"]
    nodes = [n for n in gm.graph.nodes if n.op == "call_module" and len(n.args) == 1
             and not n.kwargs and covered(modules.get(n.target)) and called.count(n.target) == 1]
    if not nodes or kernel() is None:  # built only for a model that has such a convolution
        return 0
    graph = gm.graph
    for node in nodes:
        with graph.inserting_before(node):
            call = graph.call_function(amx_conv, (node.args[0], graph.get_attr(node.target)))
        node.replace_all_uses_with(call)
        graph.erase_node(node)
    graph.lint()
    gm.recompile()
    return len(nodes)


def covered(conv) -> bool:
    """Whether the kernel computes what this module computes."""
    return (type(conv) is nn.Conv2d and conv.stride == (1, 1) and conv.dilation == (1, 1)
            and conv.groups == 1 and conv.padding in ((0, 0), "valid")
            and conv.in_channels % 32 == 0 and conv.out_channels % 32 == 0)


def amx_conv(x, conv: nn.Conv2d):
    """``conv(x)``: on the AMX tiles where that applies (see the module docstring), else the
    module."""
    if _runs_here(x, conv):
        if x.dtype != torch.bfloat16:
            x = x.to(torch.bfloat16)  # as autocast casts a convolution's input
        return _ConvAMX.apply(x.contiguous(memory_format=torch.channels_last), conv.weight,
                              conv.bias)
    return conv(x)


@lru_cache(maxsize=1)
def cpu_has_amx() -> bool:
    """Whether this CPU reports AMX tiles with bfloat16 products and AVX-512 bfloat16 (Linux's
    ``/proc/cpuinfo``; elsewhere no)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return {"amx_tile", "amx_bf16", "avx512_bf16", "avx512bw"} <= flags
    return False


def kernel():
    """``(forward, backward, threaded, scratch)``, or None where the kernel cannot run here:
    native kernels off, no AMX, no compiler, or the tiles refused to this process."""
    if not native.enabled() or not cpu_has_amx():
        return None
    if SOURCE not in _kernels:
        pair = native.load_pair(SOURCE, {}, "ll_conv_amx", _FORWARD_ARGS, _BACKWARD_ARGS)
        if pair is None:
            return None
        lib = native.load(SOURCE, {}, openmp=True)
        if not lib.ll_conv_amx_ready():
            return None
        scratch = lib.ll_conv_amx_scratch
        scratch.argtypes, scratch.restype = [_I] * 6, ctypes.c_int64
        _kernels[SOURCE] = (*pair, scratch)
    return _kernels[SOURCE]


def _runs_here(x, conv: nn.Conv2d) -> bool:
    if not eager_on_cpu(x, torch.float32, torch.bfloat16):
        return False
    if not (torch.is_autocast_enabled("cpu")
            and torch.get_autocast_dtype("cpu") == torch.bfloat16):
        return False
    w = conv.weight
    _, channels, h, wd = x.shape
    kh, kw = conv.kernel_size
    oh, ow = h - kh + 1, wd - kw + 1
    return (channels == conv.in_channels and oh >= 1 and ow >= 1
            and (oh - 1) * wd + ow >= MIN_POSITIONS and h * wd >= MIN_POSITIONS
            and w.device.type == "cpu" and w.dtype == torch.float32
            and (conv.bias is None or conv.bias.dtype == torch.float32)
            and not hooked(conv) and kernel() is not None)


def _threads(batch: int, threaded: bool) -> int:
    return max(1, min(torch.get_num_threads(), batch)) if threaded else 1


class _ConvAMX(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        forward, _, threaded, _ = _kernels[SOURCE]
        batch, cin, h, w = x.shape
        cout, _, kh, kw = weight.shape
        wc = weight.detach().contiguous()
        bc = bias.detach().contiguous() if bias is not None else None
        out = torch.empty((batch, cout, h - kh + 1, w - kw + 1), dtype=torch.bfloat16,
                          memory_format=torch.channels_last)
        packed = torch.empty(kh * kw * cin * cout, dtype=torch.bfloat16)
        forward(x.data_ptr(), batch, h, w, cin, wc.data_ptr(),
                bc.data_ptr() if bc is not None else None, cout, kh, kw, out.data_ptr(),
                packed.data_ptr(), _threads(batch, threaded))
        ctx.save_for_backward(x, wc)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        _, backward, threaded, scratch_bytes = _kernels[SOURCE]
        x, weight = ctx.saved_tensors
        want_x, want_w, want_b = ctx.needs_input_grad
        want_b = want_b and ctx.has_bias
        if not (want_x or want_w or want_b):
            return None, None, None
        batch, cin, h, w = x.shape
        cout, _, kh, kw = weight.shape
        g = grad.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
        grad_x = torch.empty_like(x, memory_format=torch.channels_last) if want_x else None
        grad_w = torch.empty_like(weight) if want_w or want_b else None
        grad_b = torch.empty(cout, dtype=torch.float32) if want_b else None
        threads = _threads(batch, threaded)
        each = scratch_bytes(h, w, cin, cout, kh, kw)
        scratch = torch.empty(threads * each + 64, dtype=torch.uint8)
        start = scratch.data_ptr()
        start += -start % 64  # 64-byte aligned, as the kernel lays out its parts
        packed = torch.empty(kh * kw * cin * cout, dtype=torch.bfloat16)
        backward(g.data_ptr(), x.data_ptr(), batch, h, w, cin, weight.data_ptr(), cout, kh, kw,
                 grad_x.data_ptr() if grad_x is not None else None,
                 grad_w.data_ptr() if grad_w is not None else None,
                 grad_b.data_ptr() if grad_b is not None else None, packed.data_ptr(), start,
                 threads)
        return grad_x, grad_w if want_w else None, grad_b
