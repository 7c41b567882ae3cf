"""Which block is to blame when a whole-model export fails.

Each block of the model is built on its own, with the params and input shapes it has in the
graph, and put through the same exporter; the first one that fails is named. A block that fails
only inside the model (none fails on its own) leaves the error with the format alone.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


from .reference import TRACE_BATCH, Reference

Attempt = Callable[[nn.Module, tuple[torch.Tensor, ...]], None]


class _Block(nn.Module):
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
    dtypes = _dtypes(ref)
    for path, info, layer in ref.resolution.top.leaves():
        if info.type in ("Input", "Output"):
            continue
        try:
            module = _Block(info.spec.build(layer.params, layer.in_shapes),
                            info.spec.ports.kind == "variadic").eval()
            inputs = tuple(_sample(shape, dtypes.get((path, i), "float32"), info)
                           for i, shape in enumerate(layer.in_shapes))
        except Exception:  # noqa: BLE001 - a block that cannot be built alone is not the culprit
            continue
        try:
            attempt(module, inputs)
        except Exception as exc:  # noqa: BLE001 - any exporter failure names this block
            return path, info.type, first_line(exc)
    return None


def _dtypes(ref: Reference) -> dict:
    """Which leaf inputs carry token ids: the inputs of Embedding blocks."""
    out = {}
    for path, info, _ in ref.resolution.top.leaves():
        if info.type == "Embedding":
            out[(path, 0)] = "int64"
    return out


def _sample(shape, dtype: str, info) -> torch.Tensor:
    if dtype == "int64":
        return torch.zeros((TRACE_BATCH, *shape), dtype=torch.int64)
    return torch.randn((TRACE_BATCH, *shape))


def first_line(exc: BaseException) -> str:
    """The first meaningful line of an exporter's message (they append IR dumps)."""
    for line in str(exc).strip().splitlines():
        line = line.strip()
        for noise in (" Please feel free to request support", "  [Caused by"):
            line = line.split(noise)[0].rstrip()
        if line:
            return line[:300]
    return type(exc).__name__
