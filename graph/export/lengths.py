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
padding mask). An image ``[C, H, W]`` has one too, its height and width varying together
(halved, doubled): a fully convolutional design, or one that pools globally, takes any size.

>>> Length(("tokens",), 0, 32, {16: True, 64: False}).sentence({16: True, 64: False})
'tokens of any length up to 32 (the model itself takes no more; checked at 16)'
>>> Length(("tokens",), 0, 32, {16: True, 64: True}).sentence({16: False, 64: False})
'only tokens of exactly 32: pad or cut them to 32 (the model itself takes other lengths: 16 and 64 were checked; this file refuses them or gives other outputs)'
>>> Length(("signal",), 1, 128, {64: True, 256: True}).sentence({64: True, 256: True})
'signal of any length along its last axis (checked at 128, 64, 256)'
>>> Length(("image",), 1, 28, {14: True, 56: True}, width=28).sentence({14: True, 56: True})
'image of any height and width (checked at 28×28, 14×14, 56×56)'
>>> Length(("image",), 1, 32, {16: True, 64: True}, width=48).sentence({16: False, 64: True})
'only image of exactly 32×48: resize them to 32×48 (the model itself takes other sizes: 16×24 was checked; this file refuses it or gives other outputs)'
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
    # an image's width where this is its height (axis 1 of [C, H, W]): the two vary together,
    # the width in proportion, and the lengths above are heights
    width: int | None = None

    @property
    def axes(self) -> tuple[int, ...]:
        """The axes of a sample this length sets: an image's height and width."""
        return (self.axis,) if self.width is None else (self.axis, self.axis + 1)

    def sizes(self, n: int) -> tuple[int, ...]:
        """The size at each of :attr:`axes` where the length is ``n``.

        >>> Length(("image",), 1, 32, {}, width=48).sizes(16)
        (16, 24)
        """
        return (n,) if self.width is None else (n, n * self.width // self.size)

    def _said(self, n: int) -> str:
        return "×".join(map(str, self.sizes(n)))

    def sentence(self, file_takes: dict[int, bool]) -> str:
        """What this file takes along this length, given which of the model's lengths it ran
        at with the model's outputs: a clause that follows "any batch size, and" (or "but",
        where it starts with "only")."""
        what = " and ".join(self.names)
        tried = sorted(n for n, ok in self.model_takes.items() if ok)
        lost = [n for n in tried if not file_takes.get(n)]
        if self.width is not None:
            return self._image_sentence(what, tried, lost)
        along = "" if self.axis == 0 else \
            f" along {'its' if len(self.names) == 1 else 'their'} last axis"
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

    def _image_sentence(self, what: str, tried: list[int], lost: list[int]) -> str:
        """:meth:`sentence` of an image's height and width."""
        size = self._said(self.size)
        if lost:
            return (f"only {what} of exactly {size}: resize them to {size} (the model itself "
                    f"takes other sizes: {' and '.join(map(self._said, lost))} "
                    f"{'was' if len(lost) == 1 else 'were'} checked; this file refuses "
                    f"{'it' if len(lost) == 1 else 'them'} or gives other outputs)")
        checked = ", ".join(map(self._said, tried))
        larger = [n for n in self.model_takes if n > self.size]
        if larger and not any(self.model_takes[n] for n in larger):
            return (f"{what} of any height and width up to {size} (the model itself takes no "
                    f"larger; checked at {checked})")
        return f"{what} of any height and width (checked at {size}, {checked})"


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


def image_inputs(inputs) -> dict[tuple[int, int], list[int]]:
    """Indexes of the images ``[C, H, W]`` (floats), by ``(H, W)``: images of one size vary
    together.

    >>> from types import SimpleNamespace as Spec
    >>> image_inputs([Spec(dtype="float32", shape=(3, 32, 32)), Spec(dtype="float32",
    ...               shape=(1, 32, 32)), Spec(dtype="float32", shape=(1, 128))])
    {(32, 32): [0, 1]}
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for i, spec in enumerate(inputs):
        if spec.dtype != "int64" and len(spec.shape) == 3:
            groups.setdefault(tuple(spec.shape[1:]), []).append(i)
    return groups


def other_lengths(size: int) -> list[int]:
    """A shorter and a longer length to try.

    >>> other_lengths(32), other_lengths(1)
    ([16, 64], [2])
    """
    return sorted({n for n in (size // 2, size * 2) if n >= 1 and n != size})


def find_lengths(model, inputs, make_inputs) -> list[Length]:
    """The lengths of ``inputs`` (``InputSpec``s) that the model takes others of.
    ``make_inputs({i: {axis: n}})`` gives a batch-1 sample with input ``i``'s ``axis`` made
    ``n`` long."""
    found = []
    candidates = [(members, Length(tuple(inputs[i].name for i in members), axis, size, {}))
                  for (axis, size), members in sequence_inputs(inputs).items()]
    candidates += [(members, Length(tuple(inputs[i].name for i in members), 1, height, {},
                                    width=width))
                   for (height, width), members in image_inputs(inputs).items()]
    for members, length in candidates:
        size = length.size
        for other in other_lengths(size):
            if min(length.sizes(other)) < 1 or \
                    (length.width is not None and other * length.width % size):
                continue  # an image's width that would not keep its proportion
            sample = make_inputs({i: dict(zip(length.axes, length.sizes(other)))
                                  for i in members})
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
