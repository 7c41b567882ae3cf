"""Shape helpers shared by the block declarations."""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence

from ..errors import ShapeError
from ..params import Param

Shape = tuple[int, ...]

RANK_NAMES = {1: "[F]", 2: "[C, L]", 3: "[C, H, W]", 4: "[C, D, H, W]"}
TORCH_DOCS = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"


class LazyModule:
    """A module imported on its first attribute access. The block declarations name ``torch.nn``
    and ``graph/modules.py`` only inside their ``build`` functions, so reading, validating and
    summarising a graph never imports torch (the CLI's validate/summary start in milliseconds)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


nn = LazyModule("torch.nn")
modules = LazyModule("layerloom.graph.modules")

# Linear's and the convolutions' weight learned as g · v / ‖v‖ (TCN, WaveNet, HiFi-GAN)
WEIGHT_NORM = Param("weight_norm", "bool", False, "Learn the weight as g · v / ‖v‖, a length "
                    "g per slice along its first dimension and a direction v "
                    "(torch.nn.utils.parametrizations.weight_norm).")


# and divided by its largest singular value, estimated by power iteration (SNGAN, BigGAN)
SPECTRAL_NORM = Param("spectral_norm", "bool", False, "Divide the weight by its largest "
                      "singular value, estimated by one step of power iteration per training "
                      "call (torch.nn.utils.parametrizations.spectral_norm).")


def weight_normed(p: dict, layer):
    """``layer``, wrapped in a WeightNorm or a SpectralNorm where the block's ``weight_norm``
    or ``spectral_norm`` param says so."""
    if p.get("spectral_norm"):
        return modules.SpectralNorm(layer)
    return modules.WeightNorm(layer) if p.get("weight_norm") else layer


def one_weight_norm(p: dict) -> None:
    """A ShapeError where both ``weight_norm`` and ``spectral_norm`` are set."""
    if p.get("weight_norm") and p.get("spectral_norm"):
        raise ShapeError("weight_norm and spectral_norm both reparametrise the weight; set "
                         "one of them", param="spectral_norm")


def prod(values: Sequence[int]) -> int:
    return math.prod(values)


def expect_rank(shape: Shape, rank: int | Sequence[int], expected: str | None = None,
                port: int = 0) -> None:
    """Raise a wrong-rank :class:`ShapeError` unless ``shape`` has one of the ranks."""
    ranks = (rank,) if isinstance(rank, int) else tuple(rank)
    if len(shape) not in ranks:
        if expected is None:
            expected = " or ".join(RANK_NAMES.get(r, f"{r}-D") for r in ranks)
        raise ShapeError(expected=expected, port=port)


def expect_min_rank(shape: Shape, rank: int, expected: str, port: int = 0) -> None:
    if len(shape) < rank:
        raise ShapeError(expected=expected, port=port)


def window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
               ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling window along one dimension (PyTorch's rule)."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span
    if ceil_mode:
        out = -(-numerator // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return numerator // stride + 1


def show(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def times(values: Sequence[int]) -> str:
    return "×".join(str(v) for v in values)


def batch_dim(dim: int) -> int:
    """A batchless dimension index (``0`` = first after the batch) as PyTorch counts it."""
    return dim + 1 if dim >= 0 else dim


def normalize_dim(dim: int, rank: int, param: str = "dim") -> int:
    """A batchless dim in ``[-rank, rank)`` as a non-negative index, or a ShapeError."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{param} {dim} is out of range for a {rank}-D input "
                         f"(use 0 to {rank - 1}, or -1 for the last; the batch is not counted)",
                         param=param)
    return dim % rank
