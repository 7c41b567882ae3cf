"""A Python loop over a traced size (``for t in range(1, trg_len)``), which tracing cannot
unroll: which dimension of which input the size is, so that the refusal says what the loop runs
over. Over the batch (``range(x.size(0))``), each sample is computed alone, and the same
computed for the whole batch at once imports. Over the steps of a sequence, it is a recurrence
written by hand: a seq2seq decoder fed the targets (teacher forcing) or its own predictions one
step at a time, a scan (Mamba's); no block holds such a loop, and what imports is said instead.
"""

from __future__ import annotations

import operator
import re
from typing import Any

import torch
from torch import fx

_PERMUTES = ("permute", "transpose", "t", torch.permute, torch.transpose, torch.t)


def looped_size(line: str, local: dict[str, Any]) -> tuple[str, int] | None:
    """``(input, dim)``: the model's input and the dimension of it whose size the ``range(...)``
    of ``line`` takes, read from the names of that frame's ``local`` variables that tracing
    made; None where no such size is found."""
    found = re.search(r"\brange\(([^)]*)\)", line)
    if found is None:
        return None
    for name in re.findall(r"[A-Za-z_]\w*", found.group(1)):
        value = local.get(name)
        if isinstance(value, fx.Proxy):
            traced = _size_of(value.node)
            if traced is not None:
                return traced
    return None


def _size_of(node: fx.Node) -> tuple[str, int] | None:
    """The input and dimension whose size ``node`` is (``x.size(1)``, ``x.shape[1]``), through
    the permutes and what keeps the leading dimensions in place between that input and it."""
    if node.op == "call_method" and node.target == "size" and len(node.args) == 2 \
            and isinstance(node.args[1], int):
        tensor, dim = node.args[0], node.args[1]
    elif node.op == "call_function" and node.target is operator.getitem \
            and isinstance(node.args[1], int) and isinstance(node.args[0], fx.Node) \
            and node.args[0].op == "call_function" and node.args[0].target is getattr \
            and node.args[0].args[1] == "shape":
        tensor, dim = node.args[0].args[0], node.args[1]
    else:
        return None
    for _ in range(32):
        if not isinstance(tensor, fx.Node) or dim < 0:
            return None
        if tensor.op == "placeholder":
            return str(tensor.target), dim
        rest = [a for a in tensor.args[1:] if isinstance(a, int)]
        if tensor.op in ("call_method", "call_function") and any(
                tensor.target is p or tensor.target == p for p in _PERMUTES):
            if tensor.target in ("t", torch.t):
                dim = 1 - dim
            elif tensor.target in ("transpose", torch.transpose) and len(rest) == 2:
                a, b = rest
                dim = b if dim == a else a if dim == b else dim
            elif len(rest) == len(tensor.args) - 1 and rest:
                dim = rest[dim] if dim < len(rest) else dim
            else:
                return None
        tensor = tensor.args[0] if tensor.args else None
    return None


def loop_reason(input_name: str, dim: int) -> str:
    """Why a loop over dimension ``dim`` (not the batch) of ``input_name`` does not import, and
    what does."""
    return (f"it loops over dimension {dim} of its input {input_name!r} (a Python loop over a "
            f"size read in forward: the steps of a sequence, [batch, length, ...], not its "
            f"samples), running its code once per step: a recurrence written by hand, such as a "
            f"seq2seq decoder fed the targets (teacher forcing) or its own predictions one step "
            f"at a time, or a scan (Mamba's), which tracing cannot unroll to a length it does "
            f"not know and no block holds. What imports: a recurrence over every step at once "
            f"(nn.GRU, nn.LSTM or nn.RNN given the whole [batch, length, features] sequence), "
            f"and for a seq2seq model, nn.Transformer (or nn.TransformerDecoder) given the "
            f"whole target sequence with a causal tgt_mask, as PyTorch's translation tutorial "
            f"writes it (teacher forcing at every step; decoding step by step then runs "
            f"outside the model)")
