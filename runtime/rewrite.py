"""Rewrites of a compiled model for training: the same weights, outputs and gradients, less work.

:func:`rewrite_for_speed` edits the model's fx graphs in place (the main graph and each
composite block's) and leaves its modules, names and ``state_dict`` as they are, so checkpoints,
exports and the graph as drawn are untouched.

The rewrites. The first: a ReLU (ReLU6, LeakyReLU) feeding only a max pooling runs after the pooling
instead. ``max(f(a), f(b)) == f(max(a, b))`` for any non-decreasing ``f``, and the gradient
reaches the same element, so the results are bit-for-bit the same; the activation then touches a
quarter of the values (a 2×2 pool) forward and backward. seed-cnn trains 1.2x faster at batch
128 on one CPU thread (benchmarks/peer_keras). The moved activation then runs in place on the
pooling's output, which nothing else reads (max pooling's backward keeps its input and indices,
not its output): one buffer less per step and the same values, 3-5 % less CPU time per seed-cnn
step at batch 128 (measured alternating in one process; 0 at batch 32).

The second: a chain of convolutions and poolings whose far rows and columns no window reads
(seed-cnn's second pooling drops its convolution's 11th row and column) computes on its input
cropped to what is read, where that input is the data (``unread_edges.py``).

The third, after them: a convolution feeding only a 2×2 max pooling feeding only a ReLU, on data
that needs no gradient (a model's first stage), runs as one C loop where this machine can build
it (``fused_stage.py``), the modules kept in the model for everything else.

The fourth: a 2×2 max pooling feeding only a ReLU (seed-cnn's second stage, once the ReLU moved)
runs as one C loop over the channels-last map, laid out for a Flatten where one reads it
(``fused_pool.py``): the same values and gradients, bit for bit.

The fifth, for mixed precision only: a Linear layer with fewer than 16 outputs computes in
float32 under CPU autocast (``narrow_linear.py``).

The sixth, for mixed precision only, on a CPU with AMX tiles: a convolution of stride 1 without
padding whose channels are multiples of 32 (seed-cnn's conv2) runs on the tiles through a C
kernel of LayerLoom's own instead of oneDNN (``amx_conv.py``): bfloat16 products summed in
float32 as before, without oneDNN's set-up on every call.

>>> import torch
>>> from torch import fx, nn
>>> model = fx.symbolic_trace(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2)))
>>> x = torch.randn(2, 1, 8, 8)
>>> before = model(x)
>>> pool_before_activation(model)
1
>>> torch.equal(model(x), before)
True
"""

from __future__ import annotations

from torch import fx, nn

from .amx_conv import amx_conv, route_amx_convs
from .fused_pool import fuse_pool_relu, pool_relu, widen_for_float32_heads
from .fused_stage import conv_pool_relu, fuse_conv_pool_relu
from .narrow_linear import float32_narrow_linears, narrow_linear
from .unread_edges import crop_to_read, crop_unread_edges

# non-decreasing, so they commute with max; stateless, so moving them changes nothing else
MONOTONE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU)
MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d,
             nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)


def rewrite_for_speed(module: nn.Module, precision: str = "fp32") -> int:
    """Rewrite every fx graph in ``module`` (in place) for training in ``precision`` (a
    ``TrainConfig.precision``); how many rewrites were made."""
    graphs = [sub for sub in module.modules() if isinstance(sub, fx.GraphModule)]
    mixed = precision != "fp32"
    made = 0
    for gm in graphs:
        made += pool_before_activation(gm) + crop_unread_edges(gm) + fuse_conv_pool_relu(gm) \
            + fuse_pool_relu(gm)
        if mixed:
            made += float32_narrow_linears(gm) + route_amx_convs(gm)
            widen_for_float32_heads(gm)  # an argument of calls made above, not a rewrite
    return made


def routed_calls(module: nn.Module) -> int:
    """How many calls of ``module``'s fx graphs go through a function of these rewrites
    instead of a module (such a graph neither scripts nor traces as drawn)."""
    routed = (conv_pool_relu, pool_relu, narrow_linear, crop_to_read, amx_conv)
    return sum(node.op == "call_function" and node.target in routed
               for sub in module.modules() if isinstance(sub, fx.GraphModule)
               for node in sub.graph.nodes)


def pool_before_activation(gm: fx.GraphModule) -> int:
    """``pool(act(x))`` becomes ``act(pool(x))`` where ``act`` feeds nothing but ``pool``."""
    modules = dict(gm.named_modules())
    graph, moved = gm.graph, 0
    for act in list(graph.nodes):
        if not _movable_activation(act, modules):
            continue
        pool = next(iter(act.users))
        if not (pool.op == "call_module" and isinstance(modules.get(pool.target), MAX_POOLS)
                and not modules[pool.target].return_indices and pool.args == (act,)
                and not pool.kwargs):
            continue
        pool.replace_input_with(act, act.args[0])
        with graph.inserting_after(pool):
            moved_act = graph.call_module(act.target, (pool,))
        pool.replace_all_uses_with(moved_act, delete_user_cb=lambda user, new=moved_act: user is not new)
        graph.erase_node(act)
        moved += 1
        if _may_run_in_place(modules[act.target], act.target, graph):
            modules[act.target].inplace = True
    if moved:
        graph.lint()
        gm.recompile()
    return moved


def _movable_activation(node: fx.Node, modules: dict) -> bool:
    act = modules.get(node.target) if node.op == "call_module" else None
    if not isinstance(act, MONOTONE) or act.inplace:  # in place, it also changes its input
        return False
    if isinstance(act, nn.LeakyReLU) and act.negative_slope < 0:
        return False
    return len(node.users) == 1 and len(node.args) == 1 and not node.kwargs


def _may_run_in_place(act: nn.Module, target: str, graph: fx.Graph) -> bool:
    """Whether the moved activation can overwrite the pooling's output: that output feeds only
    the activation (the rewrite made it so), the module is called nowhere else, and its
    in-place backward reads the result as the plain one reads the input (ReLU, ReLU6; a
    LeakyReLU with a positive slope: the result's sign is the input's)."""
    if isinstance(act, nn.LeakyReLU) and act.negative_slope <= 0:
        return False
    calls = [n for n in graph.nodes if n.op == "call_module" and n.target == target]
    return len(calls) == 1
