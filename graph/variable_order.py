"""The order of a design's variables: each after the variables its expression uses.

The format lets a variable's expression use only the variables listed before it. Someone who
adds EfficientNet's compound coefficient to a design that has ``width`` already adds ``phi``
last, then sets ``width`` to ``=1.1 ** phi``: in that order the design is invalid ('uses phi,
which is listed after it'), and the designer has no way to move a variable. An edit therefore
puts the variables in an order that works, keeping the order they have wherever it already
works:

>>> in_use_order({"width": "=1.1 ** phi", "depth": "=1.2 ** phi", "classes": 10, "phi": 1})
{'phi': 1, 'width': '=1.1 ** phi', 'depth': '=1.2 ** phi', 'classes': 10}
>>> in_use_order({"a": 1, "b": "=a * 2"})
{'a': 1, 'b': '=a * 2'}

Variables that use each other have no such order: they are kept as they are, for validation to
say so.

>>> in_use_order({"a": "=b", "b": "=a"})
{'a': '=b', 'b': '=a'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expressions import ExpressionError, is_expression, names_in


def in_use_order(variables: Mapping[str, Any]) -> dict[str, Any]:
    """``variables`` reordered so that each comes after those its expression uses: in their
    order, each placed after the variables it uses (placed first where they are not yet), so
    an order that works is kept as it is; as given when no order works (a loop, or an
    expression that cannot be read)."""
    uses: dict[str, set[str]] = {}
    for name, value in variables.items():
        try:
            used = names_in(value) if is_expression(value) else set()
        except ExpressionError:
            return dict(variables)
        uses[name] = (used & set(variables)) - {name}
    ordered: dict[str, Any] = {}
    placing: list[str] = []

    def place(name: str) -> bool:
        if name in ordered:
            return True
        if name in placing:  # a loop
            return False
        placing.append(name)
        if not all(place(n) for n in variables if n in uses[name]):
            return False
        placing.pop()
        ordered[name] = variables[name]
        return True

    if not all(place(name) for name in variables):
        return dict(variables)
    return ordered
