"""Columns of codes: whole numbers written with leading zeros.

A zip code (``02134``), an id (``000417``) or a class label (``01``, ``02``, ``10``) is a name
written in digits, not a quantity: read as a number, ``02134`` becomes 2134 and ``007`` and
``7`` become one value. A column whose every value present is digits only (no sign, point,
separator or exponent) and at least one of them starts with a 0 followed by another digit is
read as text, each value as written: a target's classes keep their names, a feature is one-hot
as categories are. A column of whole numbers none of which carries a leading zero (``0``,
``7``, ``10``) is numbers as before, and so is one where any value is not digits only
(``0.5``, ``-01``): there the zeros are how numbers happen to be written.

>>> leading_zero(np.array(["02134", "10001", "", "94105"], dtype=object))
'02134'
>>> leading_zero(np.array(["0", "7", "10"], dtype=object)) is None
True
>>> leading_zero(np.array(["01", "0.5"], dtype=object)) is None
True
"""

from __future__ import annotations

import re

import numpy as np

from .table import is_missing

_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only: a number's sign or point makes it one


def leading_zero(distinct: np.ndarray) -> str | None:
    """The first of a column's ``distinct`` values (stripped) written with a leading zero,
    where the column is codes (see the module); None where it is not."""
    found = None
    for value in distinct.tolist():  # a column of other numbers or words tells at once
        if not (value.isdigit() and value.isascii()):  # ASCII digits only (not ١٢ nor ²)
            if is_missing(value):
                continue
            return None
        if found is None and len(value) > 1 and value[0] == "0":
            found = value
    return found


def merged(distinct: np.ndarray) -> list[str]:
    """Codes of ``distinct`` that a reading as numbers would have made one value: each such
    group written ``'007' and '7'``, the first three groups.

    >>> merged(np.array(["007", "7", "01", "1", "001", "2"], dtype=object))
    ["'007' and '7'", "'01', '1' and '001'"]
    """
    groups: dict[int, list[str]] = {}
    for value in distinct.tolist():
        if _DIGITS.fullmatch(value):
            groups.setdefault(int(value), []).append(value)
    shown = []
    for group in (g for g in groups.values() if len(g) > 1):
        shown.append(", ".join(map(repr, group[:-1])) + f" and {group[-1]!r}")
    return shown[:3]


def target_note(name: str, distinct: np.ndarray, example: str) -> str:
    """What became of a target of codes: its classes are named as written.

    >>> print(target_note("label", np.array(["007", "7", "10"], dtype=object), "007"))
    label: whole numbers written with leading zeros (007), read as class names as written, not as numbers: '007' and '7' are different classes; to read them as numbers, set numbers=['label'] (or task=regression)
    """
    both = merged(distinct)
    apart = f": {'; '.join(both)} are different classes" if both else ""
    return (f"{name}: whole numbers written with leading zeros ({example}), read as class names "
            f"as written, not as numbers{apart}; to read them as numbers, set "
            f"numbers=[{name!r}] (or task=regression)")


def feature_note(names: list[tuple[str, str]]) -> str:
    """What became of the feature columns of codes (``(name, example)`` each): categories.

    >>> print(feature_note([("zip", "02134"), ("store", "007")]))
    zip (02134), store (007): whole numbers written with leading zeros, read as codes (each value a category, one-hot), not as numbers; to read them as numbers, set numbers=['zip', 'store']
    """
    shown = ", ".join(f"{name} ({example})" for name, example in names[:6]) + \
        (", …" if len(names) > 6 else "")
    listed = [name for name, _ in names]
    return (f"{shown}: whole numbers written with leading zeros, read as codes (each value a "
            f"category, one-hot), not as numbers; to read {'it' if len(names) == 1 else 'them'} "
            f"as numbers, set numbers={listed!r}")
