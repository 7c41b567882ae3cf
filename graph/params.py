"""Block parameter declarations: type, default, range or choices, one line of help.

The same declaration checks values during validation, builds the inspector form in the UI and
documents the block. ``coerce`` returns the normalised value or raises :class:`ParamError`.

>>> Param("kernel_size", "int_tuple", 3, length=2, min=1).coerce(3)
(3, 3)
>>> Param("out_channels", "int", 32, min=1).coerce(64.0)
64
>>> Param("out_channels", "int", 32, min=1).coerce(0)
Traceback (most recent call last):
...
layerloom.graph.params.ParamError: must be at least 1, got 0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

KINDS = ("int", "float", "bool", "choice", "str", "int_tuple", "padding", "shape", "ints",
         "float_tuple", "int_or_ints")


class ParamError(ValueError):
    """A param value of the wrong type or out of range; the caller adds node and param."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    length: int | None = None  # int_tuple/float_tuple/padding: how many values a list holds
    nullable: bool = False  # None is a valid value (e.g. padding_idx)
    inferred: bool = False  # follows from the input (in_channels…); checked, never required
    min_inclusive: bool = True
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown param kind {self.kind!r}")

    def coerce(self, value: Any) -> Any:
        if value is None:
            if self.nullable or self.inferred:
                return None
            raise ParamError("must be given (got null)")
        return getattr(self, f"_coerce_{self.kind}")(value)

    def describe(self) -> dict:
        """A JSON-ready form of the declaration, for the palette, the inspector and docs."""
        return {"name": self.name, "kind": self.kind, "default": _jsonable(self.default),
                "help": self.help, "min": self.min, "max": self.max,
                "choices": list(self.choices) or None, "length": self.length,
                "nullable": self.nullable,
                **({} if self.min_inclusive else {"min_exclusive": True})}

    # -- one method per kind --------------------------------------------------------------

    def _coerce_int(self, value: Any) -> int:
        number = _whole(value)
        self._check_range(number)
        return number

    def _coerce_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"expected a number, got {_show(value)}{in_quotes(value, 'float')}")
        if value != value:  # NaN
            raise ParamError("expected a number, got NaN")
        if value in (float("inf"), float("-inf")):
            raise ParamError(f"expected a finite number, got {value}")
        self._check_range(value)
        return float(value)

    def _coerce_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise ParamError(f"expected true or false, got {_show(value)}{in_quotes(value, 'bool')}")

    def _coerce_choice(self, value: Any) -> str:
        if value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise ParamError(f"must be one of {options}, got {_show(value)}")
        return value

    def _coerce_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ParamError(f"expected text, got {_show(value)}")
        return value

    def _coerce_int_tuple(self, value: Any) -> tuple[int, ...]:
        _refuse_product(value, self.length)
        items = self._items(value)
        numbers = tuple(_whole(v) for v in items)
        for n in numbers:
            self._check_range(n)
        return numbers

    def _coerce_float_tuple(self, value: Any) -> tuple[float, ...]:
        items = self._items(value)
        numbers = tuple(self._coerce_float(v) for v in items)
        return numbers

    def _coerce_padding(self, value: Any) -> tuple[int, ...] | str:
        if isinstance(value, str):
            if value in ("same", "valid"):
                return value
            _refuse_product(value, self.length)
            raise ParamError(f"must be a whole number, a list of them, 'same' or 'valid', "
                             f"got {_show(value)}")
        return self._coerce_int_tuple(value)

    def _coerce_shape(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, (list, tuple)) and not value and self.extra.get("allow_empty"):
            return ()  # an Input of one value per sample (a class id): [B]
        if not isinstance(value, (list, tuple)) or not value:
            raise ParamError(f"expected a list of sizes such as [1, 28, 28], got {_show(value)}")
        _refuse_product(value, None)
        dims = tuple(_whole(v) for v in value)
        allow_infer = self.extra.get("allow_minus_one", False)
        for d in dims:
            if d == -1 and allow_infer:
                continue
            if d < 1:
                # -1 means "whatever is left" in PyTorch's reshape, not in a shape given whole
                infer = (": -1 (the size left over) works in a Reshape, not here: give each "
                         "axis its length, e.g. [4] for 4 features or [1, 28, 28] for a "
                         "28×28 image" if d == -1 else "")
                raise ParamError(f"sizes must be at least 1, got {list(dims)}{infer}")
        if allow_infer and dims.count(-1) > 1:
            raise ParamError("at most one size may be -1")
        return dims

    def _coerce_ints(self, value: Any) -> tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise ParamError(f"expected a list of whole numbers, got {_show(value)}")
        return tuple(_whole(v) for v in value)

    def _coerce_int_or_ints(self, value: Any) -> int | tuple[int, ...]:
        """One whole number, or a list of them (Split's ``sizes``: a size, or the sections)."""
        if isinstance(value, (list, tuple)):
            if not value:
                raise ParamError("expected a whole number or a list of them, got []")
            numbers = tuple(_whole(v) for v in value)
            for n in numbers:
                self._check_range(n)
            return numbers
        return self._coerce_int(value)

    # -- helpers --------------------------------------------------------------------------

    def _items(self, value: Any) -> list:
        if isinstance(value, (list, tuple)):
            if self.length is not None and len(value) not in (1, self.length):
                raise ParamError(f"expected one value or {self.length}, got {len(value)}")
            items = list(value)
        else:
            items = [value]
        if self.length is not None and len(items) == 1:
            items = items * self.length
        return items

    def _check_range(self, number: float) -> None:
        if self.min is not None:
            if self.min_inclusive and number < self.min:
                raise ParamError(f"must be at least {_num(self.min)}, got {_num(number)}")
            if not self.min_inclusive and number <= self.min:
                raise ParamError(f"must be greater than {_num(self.min)}, got {_num(number)}")
        if self.max is not None and number > self.max:
            raise ParamError(f"must be at most {_num(self.max)}, got {_num(number)}")


# sizes written as a product, as a picture's are: 3x3, 1×28×28, 5*5
_PRODUCT = re.compile(r"\s*\d+(?:\s*[x×X*]\s*\d+)+\s*")


def _refuse_product(value: Any, length: int | None) -> None:
    """Refuse sizes written as a product ('3x3', or ['1x28x28'] from a text box) saying how to
    write them: 'expected a whole number, got '3x3'' left a newcomer guessing."""
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if isinstance(item, str) and _PRODUCT.fullmatch(item):
            sizes = ", ".join(re.findall(r"\d+", item))
            many = (f"a whole number or {length} of them" if length is not None
                    else "whole numbers")
            raise ParamError(f"expected {many} separated by commas, got {_show(item)}: write "
                             f"{sizes}")


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise ParamError(f"expected a whole number, got {_show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)  # a float beyond 2**53 is no exact count (1e300: 301 digits)
    raise ParamError(f"expected a whole number, got {_show(value)}{in_quotes(value, 'int')}")


def in_quotes(value: Any, kind: str) -> str:
    """' (text, in quotes): write 32 without quotes' where ``value`` is text that holds the
    ``kind`` of value asked for ('int', 'float' or 'bool'), as a script that quotes every value
    writes a design file; else ''.

    >>> in_quotes("32", "int"), in_quotes("0.5", "int"), in_quotes("True", "bool")
    (' (text, in quotes): write 32 without quotes', '', ' (text, in quotes): write true without quotes')
    """
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if kind == "bool":
        written = text.lower() if text.lower() in ("true", "false") else None
    else:
        try:
            number = float(text)
        except ValueError:
            return ""
        if not math.isfinite(number) or (kind == "int" and not number.is_integer()):
            return ""
        written = _num(number)
    return f" (text, in quotes): write {written} without quotes" if written else ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(list(value)) if isinstance(value, tuple) else str(value)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
