"""Whether an imported graph's outputs are the model's: the one test behind every check of an
import.

:func:`~layerloom.graph.import_torch.check_import` compares the compiled graph with the model at
the traced size, :mod:`.other_size` again at another size and each block's value where that
differs, and an imported ONNX file's graph is compared with onnxruntime running the file. All
ask the same: the same shapes, and a largest absolute difference within ``atol`` of the output's
scale (its largest magnitude, at least 1: outputs in the thousands are not held to 1e-5 of a
unit). Empty outputs of the same shape agree: there is nothing to differ. NaN must stand where
the model has NaN (a graph that gives NaN for a number differs), equal infinities agree, and an
output one side lacks differs (its shape is None on that side); a None among the model's
outputs (a loss where no targets are given) is no output, as the import leaves it out; a
dict's values are its outputs, in its order; a ``[B]`` output (one value per sample) agrees with
the graph's ``[B, 1]`` of the same values, as a design's tensors keep a dimension after the
batch. Each caller words the answer for its reader; the test itself is here once, so that they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class OutputMatch:
    """What :func:`match_outputs` found. ``diff``: the largest absolute difference of the
    outputs, or, where one differs, that output's (``inf`` where its shape differs);
    ``index``: the first output that differs (None: they all agree), ``shape`` its shape in
    the graph's outputs and ``expected_shape`` in the model's."""

    diff: float
    index: int | None = None
    shape: list[int] | None = None
    expected_shape: list[int] | None = None

    @property
    def agrees(self) -> bool:
        return self.index is None

    @property
    def shapes_differ(self) -> bool:
        return self.shape != self.expected_shape


def match_outputs(expected: Any, got: Any, atol: float) -> OutputMatch:
    """``expected`` (the model's output: a tensor, or a tuple or list of them) against ``got``
    (the graph's), output by output; the first that differs stops the comparison.

    >>> match_outputs(torch.ones(2), torch.ones(2) * 1.5, 1e-5).index
    0
    """
    if isinstance(expected, tuple) and hasattr(expected, "_fields"):  # a namedtuple
        expected = list(expected)
    elif is_dataclass(expected) and not isinstance(expected, (type, dict)):  # its fields
        expected = [getattr(expected, f.name) for f in fields(expected)]
    if isinstance(expected, dict):  # the import returns a dict's values in its order
        expected = list(expected.values())
    expected = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    # None among the model's outputs (nanoGPT's loss without targets): the import leaves it out
    expected = [e for e in expected if e is not None] or expected
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    worst = 0.0
    for i, (a, b) in enumerate(zip(expected, got)):
        a, b = torch.as_tensor(a).float(), torch.as_tensor(b).float()
        if a.dim() == 1 and tuple(b.shape) == (*a.shape, 1):  # a [B] output, imported [B, 1]
            b = b[:, 0]
        if a.shape != b.shape:
            return OutputMatch(float("inf"), i, list(b.shape), list(a.shape))
        if not torch.equal(a.isnan(), b.isnan()):  # NaN where the other has a number
            return OutputMatch(float("nan"), i, list(b.shape), list(a.shape))
        same = (a == b) | a.isnan()  # equal infinities too: inf - inf would be NaN
        diff = (a - b).abs().masked_fill(same, 0.0).max().item() if a.numel() else 0.0
        finite = a[a.isfinite()]
        scale = max(1.0, finite.abs().max().item() if finite.numel() else 0.0)
        if not diff <= atol * scale:  # an infinity against a number: inf
            return OutputMatch(diff, i, list(b.shape), list(a.shape))
        worst = max(worst, diff)
    if len(expected) != len(got):  # an output one side lacks: its shape is None there
        i = min(len(expected), len(got))
        return OutputMatch(float("inf"), i, list(got[i].shape) if i < len(got) else None,
                           list(expected[i].shape) if i < len(expected) else None)
    return OutputMatch(worst)
