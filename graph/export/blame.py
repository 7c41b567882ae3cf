"""Which block is to blame when a whole-model export fails or computes something else.

Each block of the model is built on its own, with the params and input shapes it has in the
graph, and put through the same exporter (and, for a mismatch, the same comparison on another
batch size); the first one that fails is named. When no block fails on its own the error stays
with the format alone.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .reference import CHECK_BATCH, TRACE_BATCH, Reference

# attempt(block, samples, checks): export the block traced on ``samples``; raise if it fails
# (or, for a numeric probe, if it computes something else on ``checks``)
Attempt = Callable[[nn.Module, tuple, tuple], None]


class Block(nn.Module):
    """One block called with tensors only (list-taking merges get their list), so exporters
    see no optional arguments."""

    def __init__(self, module: nn.Module, variadic: bool):
        super().__init__()
        self.module, self.variadic = module, variadic

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        if self.variadic:
            return self.module(list(xs))
        return self.module(*xs)


def find_culprit(ref: Reference, attempt: Attempt) -> tuple[str, str, str] | None:
    """``(node path, block type, reason)`` of the first block ``attempt`` fails on, or None."""
    generator = torch.Generator().manual_seed(0)
    for path, info, layer in ref.resolution.top.leaves():
        if info.type in ("Input", "Output"):
            continue
        token_ids = info.spec.input_dtype == "int" or (info.spec.output_dtype == "same"
                                                       and info.dtype == "int64")
        try:
            module = Block(info.spec.build(layer.params, layer.in_shapes),
                           info.spec.ports.kind == "variadic").eval()
            samples, checks = (tuple(_sample(shape, batch, token_ids, generator)
                                     for shape in layer.in_shapes)
                               for batch in (TRACE_BATCH, CHECK_BATCH))
        except Exception:  # noqa: BLE001 - a block that cannot be built alone is not the culprit
            continue
        try:
            attempt(module, samples, checks)
        except Exception as exc:  # noqa: BLE001 - any exporter failure names this block
            return path, info.type, first_line(exc)
    return None


def _sample(shape, batch: int, token_ids: bool, generator: torch.Generator) -> torch.Tensor:
    if token_ids:
        return torch.zeros((batch, *shape), dtype=torch.int64)
    return torch.randn((batch, *shape), generator=generator)


def first_line(exc: BaseException) -> str:
    """The first meaningful line of an exporter's message (they append IR dumps)."""
    for line in str(exc).strip().splitlines():
        line = line.strip()
        for noise in (" Please feel free to request support", "  [Caused by"):
            line = line.split(noise)[0].rstrip()
        if line:
            return line[:300]
    return type(exc).__name__
