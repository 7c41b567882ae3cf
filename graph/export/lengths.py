"""Which input sizes an exported file takes, found by running it, and said in words.

A design's Input has one shape, but the model compiled from it often takes others: an LSTM or a
transformer reads token ids of any length (up to its positional table's), though the design
says 32. A file written from it may keep that freedom (TorchScript scripted, the generated
code) or fix the length it was written with (an ONNX file whose only dynamic axis is the batch,
a TorchScript trace). A user who finds that out when onnxruntime refuses a 40-token review in
their program has been let down by the export; so every file is run at batch 1 and at other
lengths the model itself takes, and the export says which sizes it takes.

A *length* is an axis of a sequence input: token ids ``[L]`` (int64), or either axis of a
float ``[A, B]`` (feature vectors ``[L, F]``, a signal's channels and samples ``[C, L]``) where
the model takes other sizes of it. Inputs of the same length vary together (token ids and their
padding mask).

>>> Length(("tokens",), 0, 32, {16: True, 64: False}).sentence({16: True, 64: False})
'tokens of any length up to 32 (the model itself takes no more; checked at 16)'
>>> Length(("tokens",), 0, 32, {16: True, 64: True}).sentence({16: False, 64: False})
'only tokens of exactly 32: pad or cut them to 32 (the model itself takes other lengths: 16 and 64 were checked; this file refuses them or gives other outputs)'
>>> Length(("signal",), 1, 128, {64: True, 256: True}).sentence({64: True, 256: True})
'signal of any length along its last axis (checked at 128, 64, 256)'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Length:
    names: tuple[str, ...]  # the inputs (their legal names) whose length this is
    axis: int  # which axis of a sample (0: the first after the batch)
    size: int  # the length the design gives them
    model_takes: dict[int, bool]  # other lengths tried: whether the model itself runs at each
    # each length the model takes: (inputs at batch 1, the model's outputs on them)
    checks: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = field(
        default_factory=dict)

    def sentence(self, file_takes: dict[int, bool]) -> str:
        """What this file takes along this length, given which of the model's lengths it ran
        at with the model's outputs: a clause that follows "any batch size, and" (or "but",
        where it starts with "only")."""
        what = " and ".join(self.names)
        along = "" if self.axis == 0 else \
            f" along {'its' if len(self.names) == 1 else 'their'} last axis"
        tried = sorted(n for n, ok in self.model_takes.items() if ok)
        lost = [n for n in tried if not file_takes.get(n)]
        if lost:
            return (f"only {what} of exactly {self.size}{along}: pad or cut them to "
                    f"{self.size} (the model itself takes other lengths: "
                    f"{' and '.join(map(str, lost))} {'was' if len(lost) == 1 else 'were'} "
                    f"checked; this file refuses {'it' if len(lost) == 1 else 'them'} or gives "
                    f"other outputs)")
        longer = [n for n in self.model_takes if n > self.size]
        if longer and not any(self.model_takes[n] for n in longer):
            return (f"{what} of any length up to {self.size}{along} (the model itself takes no "
                    f"more; checked at {', '.join(map(str, tried))})")
        return (f"{what} of any length{along} (checked at "
                f"{', '.join(map(str, [self.size] + tried))})")


def sequence_inputs(inputs) -> dict[tuple[int, int], list[int]]:
    """Indexes of the inputs that may be sequences, by ``(axis, length)``: token ids ``[L]``
    along their one axis, a float ``[A, B]`` along either.

    >>> from types import SimpleNamespace as Spec
    >>> sequence_inputs([Spec(dtype="int64", shape=(32,)), Spec(dtype="int64", shape=(32,)),
    ...                  Spec(dtype="float32", shape=(1, 128)), Spec(dtype="float32", shape=(4,))])
    {(0, 32): [0, 1], (0, 1): [2], (1, 128): [2]}
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for i, spec in enumerate(inputs):
        axes = (0,) if spec.dtype == "int64" and len(spec.shape) == 1 else \
            (0, 1) if spec.dtype != "int64" and len(spec.shape) == 2 else ()
        for axis in axes:
            groups.setdefault((axis, spec.shape[axis]), []).append(i)
    return groups


def other_lengths(size: int) -> list[int]:
    """A shorter and a longer length to try.

    >>> other_lengths(32), other_lengths(1)
    ([16, 64], [2])
    """
    return sorted({n for n in (size // 2, size * 2) if n >= 1 and n != size})


def find_lengths(model, inputs, make_inputs) -> list[Length]:
    """The lengths of ``inputs`` (``InputSpec``s) that the model takes others of.
    ``make_inputs({i: (axis, n)})`` gives a batch-1 sample with input ``i``'s ``axis`` made
    ``n`` long."""
    found = []
    for (axis, size), members in sequence_inputs(inputs).items():
        length = Length(tuple(inputs[i].name for i in members), axis, size, {})
        for other in other_lengths(size):
            sample = make_inputs({i: (axis, other) for i in members})
            try:
                with torch.no_grad():
                    out = model(*sample)
            except Exception:  # noqa: BLE001 - the model itself refuses this length
                length.model_takes[other] = False
                continue
            outputs = list(out) if isinstance(out, (tuple, list)) else [out]
            length.model_takes[other] = True
            length.checks[other] = (sample, outputs)
        if length.checks:  # else the axis is as fixed as the model's: said with its shape
            found.append(length)
    return found


def sizes_note(ref, runner, atol: float) -> tuple[str, bool]:
    """What sizes the file run by ``runner`` takes, in words: the batch, and each sequence
    input's length as found by running it at the lengths the model takes (its outputs compared
    with the model's). Inputs without a free length are said with their one shape. With it,
    whether the file refuses a length the model takes (a user would not expect that)."""
    from .verify import compare

    parts, narrower = [], False
    for length in ref.lengths:
        file_takes = {}
        for other, (inputs, expected) in length.checks.items():
            try:
                compare("length", expected, runner(inputs), atol)
            except Exception:  # noqa: BLE001 - refused or different: this file fixes the length
                file_takes[other] = False
            else:
                file_takes[other] = True
        parts.append(length.sentence(file_takes))
        narrower = narrower or not all(file_takes.values())
    named = {name for length in ref.lengths for name in length.names}
    fixed = [f"{spec.name} [{', '.join(map(str, spec.shape))}]" for spec in ref.inputs
             if spec.name not in named]
    if not parts:
        return f"any batch size, each sample {' and '.join(fixed)} exactly", False
    rest = f"; {' and '.join(fixed)} exactly" if fixed else ""
    if len(parts) == 1:  # "any batch size, and tokens of any length …", "…, but only tokens …"
        return (f"any batch size, {'but' if narrower else 'and'} {parts[0]}{rest}",
                narrower)
    return f"any batch size; {'; '.join(parts)}{rest}", narrower
