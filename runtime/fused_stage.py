"""A model's first stage, convolution → 2×2 max pooling → ReLU, as one C loop on a CPU.

The design note's CNN starts with ``Conv2d(1, 32, 3)``, ``ReLU``, ``MaxPool2d(2)``. Run as
PyTorch modules, the convolution writes its whole map (26×26×32 floats per 28×28 image) for the
pooling to read back and shrink four times, and the backward pass fills a map of that size with
zeros to scatter the pooled gradient into it before the convolution's weight gradient reads it
again: the arithmetic is small (one input channel), the memory traffic is not. Here one loop
(``csrc/conv_pool_relu.c``, compiled for this CPU by :mod:`runtime.native`) computes the four
convolution outputs of each pooling window in registers and writes only their maximum and a
byte saying which won; the backward pass reads that byte and the input to form the weights'
and bias's gradients. seed-cnn's first stage takes about a quarter of the time (measured in
``benchmarks/first_stage_bench.py``), the whole training step ~20 % less.

:func:`fuse_conv_pool_relu` rewrites a model's fx graphs (after ``rewrite.py`` moved the ReLU
behind the pooling) where the pattern is exactly: a plain ``nn.Conv2d`` (stride 1, dilation 1,
one group, zero padding, at most :data:`MAX_TAPS` input channels × kernel cells), feeding only an
``nn.MaxPool2d`` of 2 (stride 2, no padding, floor), feeding only an ``nn.ReLU``; and only where
the kernel builds on this machine. The modules stay in the model (same names, ``state_dict``,
checkpoints, exports), and each call checks again: the loop runs only for a float32 CPU input
that needs no gradient of its own (the data, not a learned map), with no hooks on the three
modules (layer diagnostics and attributions watch them) and outside tracing and scripting;
anything else runs the modules as before. Results equal the modules' up to float rounding
(the sums are added in another order); the pooling's winner and its ties are the same. Under
CPU bfloat16 autocast the loop hands on a bfloat16 map, as the convolution would, rounded once
from its float32 sums, and reads the bfloat16 gradient that comes back.

On several threads the batch is shared among torch's own (GNU OpenMP) threads, those its
operations use, from :data:`MIN_ROWS_PER_THREAD` rows a thread; where the loop could not be built
on them (``native.load``), it runs on one.
"""

from __future__ import annotations

import ctypes

import torch
from torch import fx, nn
from torch.nn import functional as F
from torch.nn.modules import module as torch_module

from . import native

SOURCE = "conv_pool_relu.c"
MAX_TAPS = 75  # input channels × kernel cells: 3×5×5 (an RGB 5×5); wider convs are oneDNN's
# Rows a thread must get before the batch is shared among torch's threads (the kernel's OpenMP
# loop runs on torch's own pool: handing over costs microseconds, not a Python thread's hop).
MIN_ROWS_PER_THREAD = 8

_P, _I, _L = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
_FORWARD_ARGS = [_P, _I, _I, _I, _L, _L, _L, _P, _P, _I, _I, _P, _I, _P, _P, _I]
_BACKWARD_ARGS = [_P, _I, _I, _I, _L, _L, _L, _P, _I, _I, _P, _P, _P, _P, _I]
_kernels: dict[tuple, tuple] = {}


def fuse_conv_pool_relu(gm: fx.GraphModule) -> int:
    """Route each conv → max pool → ReLU chain of ``gm``'s graph through
    :func:`conv_pool_relu`; how many were routed."""
    modules = dict(gm.named_modules())
    graph, fused = gm.graph, 0
    for conv_node in list(graph.nodes):
        chain = _chain(conv_node, modules)
        if chain is None or kernel_for(modules[conv_node.target]) is None:
            continue
        pool_node, act_node = chain
        with graph.inserting_before(act_node):
            attrs = [graph.get_attr(n.target) for n in (conv_node, pool_node, act_node)]
            call = graph.call_function(conv_pool_relu, (conv_node.args[0], *attrs))
        act_node.replace_all_uses_with(call)
        for node in (act_node, pool_node, conv_node):
            graph.erase_node(node)
        fused += 1
    if fused:
        graph.lint()
        gm.recompile()
    return fused


def conv_pool_relu(x, conv: nn.Conv2d, pool: nn.MaxPool2d, act: nn.ReLU):
    """``act(pool(conv(x)))``: through the C loop where it applies (see the module docstring),
    else through the modules."""
    if _runs_fused(x, conv, pool, act):
        return _ConvPoolReLU.apply(x, conv.weight, conv.bias, conv.padding, _bf16_autocast())
    return act(pool(conv(x)))


def _bf16_autocast() -> bool:
    """Whether the modules would compute in bfloat16 here (CPU autocast to bfloat16): the
    loop then hands on a bfloat16 map, as the convolution would (its sums stay float32)."""
    return torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


def fusable(conv: nn.Module, pool: nn.Module, act: nn.Module) -> bool:
    """Whether the three modules compute what the C loop computes (see the module docstring)."""
    return (type(conv) is nn.Conv2d and conv.groups == 1 and tuple(conv.stride) == (1, 1)
            and tuple(conv.dilation) == (1, 1) and conv.padding_mode == "zeros"
            and isinstance(conv.padding, tuple)
            and conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1] <= MAX_TAPS
            and max_pool_of_2(pool) and type(act) is nn.ReLU)


def max_pool_of_2(pool: nn.Module) -> bool:
    """Whether ``pool`` is a plain 2×2 max pooling of stride 2 (no padding, floor, no indices
    returned), the pooling the C loops compute."""
    return (type(pool) is nn.MaxPool2d and _pair(pool.kernel_size) == (2, 2)
            and _pair(pool.stride or pool.kernel_size) == (2, 2) and _pair(pool.padding) == (0, 0)
            and _pair(pool.dilation) == (1, 1) and not pool.ceil_mode
            and not pool.return_indices)


def kernel_for(conv: nn.Conv2d):
    """The compiled ``(forward, backward, threaded)`` for ``conv``'s shape, or None where it
    cannot be built here (``native.why_not`` says why)."""
    kh, kw = conv.kernel_size
    return _kernel(conv.in_channels, kh, kw, _padded(conv.out_channels))


def _kernel(cin: int, kh: int, kw: int, cp: int):
    key = (cin, kh, kw, cp)
    if not native.enabled():
        return None
    if key not in _kernels:
        pair = native.load_pair(SOURCE, {"CIN": cin, "KH": kh, "KW": kw, "CP": cp},
                                "ll_conv_pool_relu", _FORWARD_ARGS, _BACKWARD_ARGS)
        if pair is None:
            return None
        _kernels[key] = pair
    return _kernels[key]


def _padded(channels: int) -> int:
    """Output channels rounded up to the kernel's vectors of 16."""
    return -(-channels // 16) * 16


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _chain(conv_node: fx.Node, modules: dict):
    """``(pool node, ReLU node)`` when ``conv_node`` starts a fusable chain, each node feeding
    only the next; else None."""
    if conv_node.op != "call_module" or len(conv_node.args) != 1 or conv_node.kwargs:
        return None
    nodes = [conv_node]
    for _ in range(2):
        users = list(nodes[-1].users)
        if len(users) != 1 or users[0].op != "call_module" or users[0].args != (nodes[-1],) \
                or users[0].kwargs:
            return None
        nodes.append(users[0])
    if not fusable(*(modules.get(n.target) for n in nodes)):
        return None
    targets = [n.target for n in nodes]
    called = [n.target for n in conv_node.graph.nodes if n.op == "call_module"]
    if any(called.count(t) != 1 for t in targets):  # a module called twice stays a module
        return None
    return nodes[1], nodes[2]


def hooked(*modules: nn.Module) -> bool:
    """Whether a forward or backward hook (a module's own or a global one) watches these
    modules: then they must run as modules."""
    if (torch_module._global_forward_hooks or torch_module._global_forward_pre_hooks
            or torch_module._global_backward_hooks or torch_module._global_backward_pre_hooks):
        return True
    return any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
               or m._backward_pre_hooks for m in modules)


def eager_on_cpu(x, *dtypes: torch.dtype) -> bool:
    """Whether ``x`` is a non-empty 4-D CPU tensor of one of ``dtypes`` and this call runs
    eagerly (not scripted, traced or compiled): what each native kernel needs before its own
    checks (this module's, ``fused_pool``'s and ``amx_conv``'s)."""
    if not (isinstance(x, torch.Tensor) and x.dim() == 4 and len(x) > 0
            and x.device.type == "cpu" and x.dtype in dtypes):
        return False
    return not (torch.jit.is_scripting() or torch.jit.is_tracing()
                or torch.compiler.is_compiling())


def _runs_fused(x, conv: nn.Conv2d, pool: nn.MaxPool2d, act: nn.ReLU) -> bool:
    if not eager_on_cpu(x, torch.float32) or x.requires_grad:
        return False
    w = conv.weight
    kh, kw = conv.kernel_size
    ph, pw = conv.padding
    return (w.device.type == "cpu" and w.dtype == torch.float32 and x.shape[1] == conv.in_channels
            and x.shape[2] + 2 * ph >= kh + 1 and x.shape[3] + 2 * pw >= kw + 1
            and not hooked(conv, pool, act) and kernel_for(conv) is not None)


class _ConvPoolReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, padding, bf16):
        cout, cin, kh, kw = weight.shape
        cp = _padded(cout)
        forward, _, threaded = _kernel(cin, kh, kw, cp)
        if padding != (0, 0):
            x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
        if x.stride(3) != 1 or x.stride(2) < x.shape[3]:
            x = x.contiguous()  # the kernel reads each row's values side by side
        batch, _, h, w = x.shape
        ph, pw = (h - kh + 1) // 2, (w - kw + 1) // 2
        channels_last = (weight.stride(1) == 1 and kh * kw > 1) or (cin > 1 and x.stride(1) == 1)
        dtype = torch.bfloat16 if bf16 else torch.float32
        if channels_last:
            out = x.new_empty(batch, ph, pw, cout, dtype=dtype)
        else:
            out = x.new_empty(batch, cout, ph, pw, dtype=dtype)
        win = torch.empty(batch, ph, pw, cp, dtype=torch.uint8)
        wc = weight.detach().contiguous()  # the kernel reads it as [cout][cin][kh][kw]
        bc = bias.detach().contiguous() if bias is not None else None
        wt = x.new_empty(cin * kh * kw + 1, cp)  # the kernel's transposed weight and bias
        forward(x.data_ptr(), batch, h, w, *_strides(x), wc.data_ptr(), bc.data_ptr() if bc is not None else None,
                cout, int(channels_last), out.data_ptr(), int(bf16), win.data_ptr(),
                wt.data_ptr(), _threads(batch, threaded))
        ctx.save_for_backward(x, win)
        ctx.shape = (cout, cin, kh, kw, cp)
        ctx.has_bias = bias is not None
        return out.permute(0, 3, 1, 2) if channels_last else out

    @staticmethod
    def backward(ctx, grad):
        x, win = ctx.saved_tensors
        cout, cin, kh, kw, cp = ctx.shape
        if not (ctx.needs_input_grad[1] or ctx.needs_input_grad[2]):
            return None, None, None, None, None
        _, backward, threaded = _kernel(cin, kh, kw, cp)
        if grad.dtype != torch.bfloat16:
            grad = grad.float()
        g = grad.permute(0, 2, 3, 1).contiguous()  # a view where it is channels last
        batch, _, h, w = x.shape
        threads = _threads(batch, threaded)
        grad_w = x.new_empty(cout, cin, kh, kw)
        grad_b = x.new_empty(cout) if ctx.has_bias and ctx.needs_input_grad[2] else None
        scratch = x.new_empty(threads, cin * kh * kw + 1, cp)
        backward(x.data_ptr(), batch, h, w, *_strides(x), g.data_ptr(), int(g.dtype == torch.bfloat16), cout,
                 win.data_ptr(), grad_w.data_ptr(),
                 grad_b.data_ptr() if grad_b is not None else None, scratch.data_ptr(), threads)
        return None, grad_w if ctx.needs_input_grad[1] else None, grad_b, None, None


def _strides(x: torch.Tensor) -> tuple[int, int, int]:
    """How far apart (in values) ``x``'s images, channels and rows are: the data's batch cropped
    by ``unread_edges.crop_to_read`` is read where it lies, not copied first."""
    return x.stride(0), x.stride(1), x.stride(2)


def _threads(batch: int, threaded: bool = True) -> int:
    """How many of torch's threads share a batch of ``batch`` rows (1 for a serial build)."""
    if not threaded:
        return 1
    return max(1, min(torch.get_num_threads(), batch // MIN_ROWS_PER_THREAD))
