"""Where a param's value comes from, said beside the problem it causes.

A design scales through its variables: ``out_channels`` is ``"=round(32*width)"``, a stage's
``repeat`` is ``"=ceil(layers * depth) - 1"``. When such a value is out of range or breaks a
shape, the problem names the block and the param; :func:`origin` adds the expression and the
values it was given, so that the variable to change is named too:

>>> origin("=round(32*width)", {"width": 0.01}, {}, name="out_channels")
' (out_channels = round(32*width), with the variable width = 0.01)'

A name a composite block's param gives is said with the node that gives it, and the variables
behind that value (``Origins``) are named as well:

>>> origin("=ceil(layers * depth) - 1", {"depth": 0}, {"layers": 1}, name="repeat",
...        owner="stage1")
" (repeat = ceil(layers * depth) - 1, with the variable depth = 0 and stage1's layers = 1)"
>>> origin("=channels", {"width": 0.01}, {"channels": 0}, name="out_channels",
...        owner="stage1", origins={"channels": {"width": 0.01}})
" (out_channels = channels, with stage1's channels = 0, from the variable width = 0.01)"

A value written as a number needs no such note: it names itself.

>>> origin(16, {"width": 0.01}, {}, name="out_channels")
''
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expressions import ExpressionError, is_expression, names_in

# block param name -> the graph variables (name -> value) its value was worked out from
Origins = Mapping[str, Mapping[str, Any]]

_LONGEST = 80  # an expression longer than this is cut, the values it uses still said


def expressions_in(raw: Any) -> list[str]:
    """The expressions ``raw`` holds: itself, or the items of a list (nested lists too)."""
    if isinstance(raw, list):
        return [text for item in raw for text in expressions_in(item)]
    return [raw] if is_expression(raw) else []


def variables_behind(raw: Any, variables: Mapping[str, Any], block_params: Mapping[str, Any],
                     origins: Origins | None = None) -> dict[str, Any]:
    """The graph variables (name → value) that ``raw`` uses, directly or through the block
    params it reads (a block param of the same name hides a variable)."""
    found: dict[str, Any] = {}
    for text in expressions_in(raw):
        for name in sorted(_names(text)):
            if name in block_params:
                found.update((origins or {}).get(name, {}))
            elif name in variables:
                found[name] = variables[name]
    return found


def origin(raw: Any, variables: Mapping[str, Any], block_params: Mapping[str, Any], *,
           name: str, owner: str | None = None, origins: Origins | None = None,
           in_shape: tuple[int, ...] | None = None) -> str:
    """`` (name = expression, with …)`` for a value given as an expression (or a list holding
    some), naming the variables, block params and input shape it uses with their values;
    ``""`` for a value written out."""
    texts = expressions_in(raw)
    if not texts:
        return ""
    used: set[str] = set()
    for text in texts:
        used |= _names(text)
    direct = {n: variables[n] for n in sorted(used) if n in variables and n not in block_params}
    given = {n: block_params[n] for n in sorted(used) if n in block_params}
    behind = {}
    for n in given:
        behind.update((origins or {}).get(n, {}))
    behind = {n: v for n, v in behind.items() if n not in direct}
    parts = []
    if direct:
        parts.append(said_variables(direct))
    if given:
        whose = f"{owner}'s " if owner else ""
        parts.append(", ".join(f"{whose}{n} = {_number(v)}" for n, v in given.items()))
    if "in_shape" in used and in_shape is not None:
        parts.append(f"its input's shape [{', '.join(str(d) for d in in_shape)}]")
    written = _written(raw)
    if len(written) > _LONGEST:
        written = written[:_LONGEST - 3] + "..."
    said = f" ({name} = {written}"
    if parts:
        said += ", with " + " and ".join(parts)
    if behind:
        said += ", from " + said_variables(behind)
    return said + ")"


def _names(text: str) -> set[str]:
    try:
        return names_in(text)
    except ExpressionError:  # its own error says why it cannot be read
        return set()


def _written(raw: Any) -> str:
    """The value as the user wrote it, expressions without their ``=``."""
    if isinstance(raw, list):
        return "[" + ", ".join(_written(item) for item in raw) + "]"
    if is_expression(raw):
        return raw[1:].strip()
    return repr(raw)


def said_variables(values: Mapping[str, Any]) -> str:
    """``the variable width = 0.01``, ``the variables a = 1, b = 2``."""
    word = "variable" if len(values) == 1 else "variables"
    return f"the {word} " + ", ".join(f"{n} = {_number(v)}" for n, v in values.items())


def _number(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)
