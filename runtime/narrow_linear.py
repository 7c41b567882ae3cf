"""A narrow Linear layer computes in float32 under bfloat16 mixed precision on a CPU.

Under CPU autocast every ``nn.Linear`` runs in bfloat16: its input and weight are cast, the
product is formed by oneDNN's bfloat16 kernels, and the backward pass casts the weight's
gradient back. For a layer with few outputs (a classifier's 10 classes) the product is a sliver
of the step, bfloat16 makes it no faster (the matrix units are filled 16 outputs at a time),
and the casts and kernel set-up cost more than float32 arithmetic: seed-cnn's bf16-mixed step
at batch 32 is 3-5 % faster with its head (1,600 → 10) in float32 (steps alternating in one
process; ``benchmarks/RESULTS-keras.md``). Keeping the logits in float32 is also what
mixed-precision recipes do for accuracy.

:func:`float32_narrow_linears` rewrites a model's fx graph so that each plain ``nn.Linear``
with fewer than :data:`NARROW` outputs is called through :func:`narrow_linear`, which runs it in
float32 when CPU autocast is on and its input is small (at most :data:`MAX_CAST` values; the
module as it is otherwise, and wherever hooks watch it, or while scripting or tracing). The
module stays in the model: same names, ``state_dict``, checkpoints and exports. The trainer
applies it for mixed precision only.
"""

from __future__ import annotations

import torch
from torch import fx, nn
from torch.nn import functional as F

from .fused_stage import hooked

NARROW = 16  # outputs below one 16-wide tile of the bfloat16 matrix units
# inputs up to this many values are cast to float32; a larger batch's cast costs more than the
# bfloat16 product's set-up saves (seed-cnn's head: 32 x 1,600 values 3 % faster a step in
# float32, 128 x 1,600 2 % slower)
MAX_CAST = 1 << 16


def float32_narrow_linears(gm: fx.GraphModule) -> int:
    """Route each narrow ``nn.Linear`` call of ``gm``'s graph through :func:`narrow_linear`;
    how many were routed."""
    modules = dict(gm.named_modules())
    graph, routed = gm.graph, 0
    for node in list(graph.nodes):
        linear = modules.get(node.target) if node.op == "call_module" else None
        if type(linear) is not nn.Linear or linear.out_features >= NARROW \
                or len(node.args) != 1 or node.kwargs:
            continue
        with graph.inserting_before(node):
            call = graph.call_function(narrow_linear, (node.args[0], graph.get_attr(node.target)))
        node.replace_all_uses_with(call)
        graph.erase_node(node)
        routed += 1
    if routed:
        graph.lint()
        gm.recompile()
    return routed


def narrow_linear(x, linear: nn.Linear):
    """``linear(x)``, in float32 where CPU autocast would compute it in a lower precision."""
    if (isinstance(x, torch.Tensor) and x.device.type == "cpu" and x.numel() <= MAX_CAST
            and torch.is_autocast_enabled("cpu") and not torch.jit.is_scripting()
            and not torch.jit.is_tracing() and not torch.compiler.is_compiling()
            and not hooked(linear)):
        with torch.autocast("cpu", enabled=False):
            bias = linear.bias.float() if linear.bias is not None else None
            return F.linear(x.float(), linear.weight.float(), bias)
    return linear(x)
