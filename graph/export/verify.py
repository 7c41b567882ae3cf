"""Loading a written file back and comparing it with the model on the same inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .errors import ExportError

ATOL = 1e-4  # on outputs of magnitude up to 1; scaled up with larger outputs


def compare(fmt: str, expected: Sequence[torch.Tensor], got: Sequence[Any],
            atol: float = ATOL) -> float:
    """The largest absolute difference between ``got`` and ``expected``; an
    :class:`ExportError` naming ``fmt`` when the count, a shape or a value differs."""
    if len(got) != len(expected):
        raise ExportError(fmt, f"the file gives {len(got)} output(s), the model {len(expected)}")
    worst = 0.0
    for i, (want, have) in enumerate(zip(expected, got)):
        want = want.detach().cpu().numpy()
        have = have.detach().cpu().numpy() if isinstance(have, torch.Tensor) else np.asarray(have)
        if want.shape != have.shape:
            raise ExportError(fmt, f"output {i} has shape {list(have.shape)}, the model gives "
                                   f"{list(want.shape)}")
        if want.size == 0:
            continue
        if not np.isfinite(have).all() and np.isfinite(want).all():
            raise ExportError(fmt, f"output {i} holds NaN or infinity where the model's does not")
        diff = float(np.max(np.abs(want.astype(np.float64) - have.astype(np.float64))))
        scale = max(1.0, float(np.max(np.abs(want))))
        if diff > atol * scale:
            raise ExportError(fmt, f"output {i} differs from the model's by up to {diff:.3g} "
                                   f"(tolerance {atol * scale:.3g})")
        worst = max(worst, diff)
    return worst


def fit_problems(model: torch.nn.Module, state: dict) -> str | None:
    """Why ``state`` does not load strictly into ``model``, in one line; None when it does.

    >>> fit_problems(torch.nn.Linear(2, 3), {"weight": torch.zeros(3, 4)})
    'missing bias; weight is [3, 4] in the weights but [3, 2] in the model'
    """
    own = model.state_dict()
    parts = []
    for label, keys in (("missing", [k for k in own if k not in state]),
                        ("unexpected", [k for k in state if k not in own])):
        if keys:
            more = f" (and {len(keys) - 5} more)" if len(keys) > 5 else ""
            parts.append(f"{label} {', '.join(keys[:5])}{more}")
    for key, value in state.items():
        if key in own and tuple(value.shape) != tuple(own[key].shape):
            parts.append(f"{key} is {list(value.shape)} in the weights but "
                         f"{list(own[key].shape)} in the model")
            break
    return "; ".join(parts) or None
