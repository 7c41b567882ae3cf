"""Work budgets: how much a graph may ask of the machine before anything is built.

A graph file is small, but what it describes need not be: composite blocks that use each other
twice at every level, repeats around repeats, a Linear layer of a billion features. Validation
checks these figures *before* expanding anything and refuses a design over budget with an error
naming the node and the figure, so nothing that reads a graph (the app, the CLI, a run) can be
made to hang or run out of memory by one.

=======================  ===================  ==============================  =====================
budget                   default              environment variable            ``Limits`` field
=======================  ===================  ==============================  =====================
resolved layers          100,000              ``LAYERLOOM_MAX_LAYERS``        ``max_layers``
composite nesting depth  32                   ``LAYERLOOM_MAX_DEPTH``         ``max_depth``
repeat of one node       10,000               ``LAYERLOOM_MAX_REPEAT``        ``max_repeat``
model memory             the machine's RAM    ``LAYERLOOM_MAX_MODEL_BYTES``   ``max_model_bytes``
=======================  ===================  ==============================  =====================

*Resolved layers* counts every node once per copy with composites and repeats multiplied out
(ResNet-152 counts 909, EfficientNet-B7 1,078); a node whose param lists hold more than 16 values
counts one more for every 2 values beyond, since each copy checks every value. *Model memory* bounds both the weights
(parameters × 4 bytes) and the activations of one sample's forward pass. The byte budget accepts
plain numbers or units: ``LAYERLOOM_MAX_MODEL_BYTES=8GiB``.

>>> Limits(max_layers=500).max_layers
500
>>> parse_bytes("1.5 GiB")
1610612736
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields

from .errors import GraphError

DEFAULT_MAX_LAYERS = 100_000
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_REPEAT = 10_000
FALLBACK_MODEL_BYTES = 16 << 30  # when the machine's memory cannot be read

ENV = {
    "max_layers": "LAYERLOOM_MAX_LAYERS",
    "max_depth": "LAYERLOOM_MAX_DEPTH",
    "max_repeat": "LAYERLOOM_MAX_REPEAT",
    "max_model_bytes": "LAYERLOOM_MAX_MODEL_BYTES",
}

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1 << 10, "mib": 1 << 20,
          "gib": 1 << 30, "tib": 1 << 40}



def budget(env: str, default: int) -> int:
    """A budget on what users upload: ``$env`` when it holds a positive whole number (``1e9``
    and ``1_000`` are read too), else ``default``. Read at each call, so a changed variable
    counts at once; a malformed one falls back to the default (an upload is refused by the
    default then, never let through)."""
    value = os.environ.get(env, "").strip().replace("_", "")
    try:
        number = int(float(value)) if value else 0
    except (ValueError, OverflowError):
        number = 0
    return number if number > 0 else default


def size_words(n: int) -> str:
    """``n`` bytes in words, for messages: ``37.3 GiB``, ``200 MiB``, ``12 KiB``, ``900 bytes``.

    >>> size_words(40_000_000_000)
    '37.3 GiB'
    """
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GiB".replace(".0 GiB", " GiB")
    if n >= 2**20:
        return f"{n / 2**20:,.0f} MiB"
    return f"{n / 2**10:,.0f} KiB" if n >= 2**10 else f"{n:,} bytes"


def machine_memory() -> int:
    """The machine's physical memory in bytes (a 16 GiB guess where it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MODEL_BYTES


def parse_bytes(text: str | int) -> int:
    """``"8GiB"``, ``"500 MB"``, ``"1e9"`` or ``1000`` as a number of bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]{1,2})?)\s*([A-Za-z]*)\s*",
                         str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"expected a size such as 8GiB, 500MB or 1000000, got {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class Limits:
    """The budgets validation enforces; ``None`` fields take their environment variable or
    default (:meth:`resolved`)."""

    max_layers: int | None = None
    max_depth: int | None = None
    max_repeat: int | None = None
    max_model_bytes: int | None = None

    @classmethod
    def from_env(cls) -> "Limits":
        """The limits the environment sets, defaults elsewhere."""
        return cls().resolved()

    def resolved(self) -> "Limits":
        """Every field filled in: the value given, else the environment variable, else the
        default. A malformed environment variable is a :class:`GraphError` naming it."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                value = _from_env(f.name)
            if value is None:
                value = _default(f.name)
            values[f.name] = value
        return Limits(**values)


def _default(name: str) -> int:
    if name == "max_model_bytes":
        return machine_memory()
    return {"max_layers": DEFAULT_MAX_LAYERS, "max_depth": DEFAULT_MAX_DEPTH,
            "max_repeat": DEFAULT_MAX_REPEAT}[name]


def _from_env(name: str) -> int | None:
    var = ENV[name]
    raw = os.environ.get(var, "").strip()
    if not raw:
        return None
    try:
        value = parse_bytes(raw) if name == "max_model_bytes" else int(raw.replace("_", ""))
    except ValueError:
        raise GraphError(f"environment variable {var}={raw!r} is not "
                         f"{'a size such as 8GiB' if name == 'max_model_bytes' else 'a whole number'}"
                         ) from None
    if value < 1:
        raise GraphError(f"environment variable {var}={raw!r} must be at least 1")
    return value


def hint(name: str) -> str:
    """How to raise one budget, for error messages."""
    return f"raise it with {ENV[name]} or validate(..., limits=Limits({name}=...))"
