"""Dataset options, each declared once: name, kind, default, range or choices, one line of help.

The same declaration checks what a caller passes to ``load_dataset`` and tells the UI (through
``list_datasets``) which form fields to draw.

>>> Option("noise", "float", 0.1, "standard deviation of the noise", min=0).coerce(0.2, "moons")
0.2
>>> Option("noise", "float", 0.1, "standard deviation of the noise", min=0).coerce(-1, "moons")
... # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
DataError: moons: option 'noise' must be at least 0, got -1
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from layerloom.graph.suggest import did_you_mean

from .errors import DataError


@dataclass(frozen=True)
class Option:
    name: str
    kind: str  # "int" | "float" | "bool" | "choice" | "str" | "size" | "names" | "orders"
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any, owner: str) -> Any:
        """Return ``value`` in its canonical form, or raise naming ``owner`` and the option."""
        if value is None and self.default is None:
            return None
        try:
            value = getattr(self, f"_coerce_{self.kind}")(value)
        except (TypeError, ValueError) as err:
            raise DataError(f"{owner}: option {self.name!r} {err}") from None
        return value

    def describe(self) -> dict:
        """A JSON-ready form of the declaration."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {"name": self.name, "kind": self.kind, "default": default, "help": self.help,
                "min": self.min, "max": self.max, "choices": list(self.choices) or None}

    def _coerce_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ValueError(f"must be a whole number, got {value!r}")
        return self._in_range(int(value))

    def _coerce_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ValueError(f"must be a number, got {value!r}")
        return float(self._in_range(value))

    def _coerce_bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, got {value!r}")
        return value

    def _coerce_choice(self, value: Any) -> str:
        if value not in self.choices:
            raise ValueError(f"must be one of {', '.join(map(repr, self.choices))}, got {value!r}")
        return value

    def _coerce_str(self, value: Any) -> str:
        """Text; a whole number stands for its digits (a column or sheet named 2024, which
        ``--data-option target=2024`` reads as a number)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise TypeError(f"must be text, got {value!r}")
        return value

    def _coerce_size(self, value: Any) -> tuple[int, int]:
        """An image size: ``28`` or ``(28, 28)`` (as text too: ``"32,24"``, ``"32x24"``), as
        (height, width)."""
        if isinstance(value, str):
            match = _SIZE_TEXT.match(value)
            if match:
                value = tuple(int(v) for v in match.groups() if v is not None)
                value = value[0] if len(value) == 1 else value
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value, value)
        if (not isinstance(value, (tuple, list)) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise ValueError(f"must be a size such as 28 or (28, 28), got {value!r}")
        return tuple(self._in_range(v) for v in value)

    def _coerce_names(self, value: Any) -> tuple[str, ...]:
        """Column names: one name or a list of them; a whole number stands for its digits, as
        for :meth:`_coerce_str` (``--data-option drop=2024``)."""
        names = (value,) if isinstance(value, (str, int)) else value
        if not isinstance(names, (tuple, list)) or not all(
                isinstance(n, (str, int)) and not isinstance(n, bool) for n in names):
            raise ValueError(f"must be a column name or a list of them, got {value!r}")
        return tuple(map(str, names))

    def _coerce_orders(self, value: Any) -> str | dict[str, str]:
        """One of ``choices`` for every column, or one per column: ``{"ordered": "dmy",
        "shipped": "mdy"}``, written as text too (``"ordered:dmy, shipped:mdy"``, as
        ``--data-option`` gives it); a bare choice among them (``"mdy, ordered:dmy"``) is for
        the columns not named, kept under ``"*"``. A single choice stays as it is.

        >>> Option("date_order", "orders", "auto", "", choices=("auto", "dmy", "mdy")).coerce(
        ...     "mdy, ordered: dmy", "t.csv")
        {'*': 'mdy', 'ordered': 'dmy'}
        """
        if isinstance(value, str) and value.strip() in self.choices:
            return value.strip()
        if isinstance(value, str) and value.strip().startswith("{"):  # JSON, as a CLI may pass it
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, str):
            value = orders_text(value, self.choices)
        if not isinstance(value, dict) or not value:
            raise ValueError(f"must be one of {', '.join(map(repr, self.choices))}, or one a "
                             f"column ('ordered:dmy, shipped:mdy'), got {value!r}")
        out = {}
        for column, order in value.items():
            if order not in self.choices or not isinstance(column, str) or not column.strip():
                raise ValueError(f"gives column {column!r} the order {order!r}; each column's "
                                 f"must be one of {', '.join(map(repr, self.choices))}")
            out[column.strip()] = order
        return out["*"] if list(out) == ["*"] else out

    def _in_range(self, number: float) -> Any:
        if self.min is not None and number < self.min:
            raise ValueError(f"must be at least {self.min:g}, got {number!r}")
        if self.max is not None and number > self.max:
            raise ValueError(f"must be at most {self.max:g}, got {number!r}")
        return number


ORDERS = ("auto", "dmy", "mdy")  # the date orders, as the loader's date_order takes them
_ORDER_PART = re.compile(r"(.*)[:=]([^:=]*)", re.DOTALL)  # column:order, the last ':' or '='


def orders_text(text: str, choices: tuple[str, ...] = ORDERS) -> dict[str, str] | str:
    """``"ordered:dmy, shipped:mdy"`` (``=`` too) as ``{column: order}``; a bare order (one of
    ``choices``) is the order of the others (``"*"``); the text itself where a part is
    neither. A column's name may hold a comma (``"Datum, bestellt:dmy"``, as a header in
    quotes has it): a part that is neither an order nor ``column:order`` begins the name that
    the next part ends.

    >>> orders_text("mdy, ordered = dmy")
    {'*': 'mdy', 'ordered': 'dmy'}
    >>> orders_text("Datum, bestellt:dmy, shipped:mdy")
    {'Datum, bestellt': 'dmy', 'shipped': 'mdy'}
    >>> orders_text("Datum")
    'Datum'
    """
    out, begun = {}, []  # begun: the parts so far of a name holding commas
    for part in text.split(","):
        named = _ORDER_PART.fullmatch(part)
        if named is None and not begun and (part.strip() in choices or not part.strip()):
            if part.strip():
                out["*"] = part.strip()
            continue
        if named is None:
            begun.append(part)
            continue
        column = ",".join([*begun, named[1]]).strip()
        begun = []
        if not column:
            return text
        out[column] = named[2].strip()
    return text if begun or not out else out


_SIZE_TEXT = re.compile(r"^\s*[(\[]?\s*(\d+)\s*(?:[,x×]\s*(\d+)\s*)?[)\]]?\s*$")


def resolve(owner: str, declared: tuple[Option, ...], given: dict[str, Any]) -> dict[str, Any]:
    """Every declared option's value: the given one (checked) or its default.

    >>> resolve("xor", (Option("n_samples", "int", 400, "points", min=4),), {})
    {'n_samples': 400}
    """
    by_name = {option.name: option for option in declared}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        meant = did_you_mean(unknown[0], by_name).strip()[1:-1]  # "did you mean 'target'?"
        raise DataError(f"{owner} has no option {unknown[0]!r} ({meant + ' ' if meant else ''}"
                        f"its options: {known})")
    return {name: option.coerce(given[name], owner) if name in given else option.default
            for name, option in by_name.items()}
