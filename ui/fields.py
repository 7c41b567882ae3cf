"""One input widget per declared param kind, shared by the inspector, block params and variables.

A field shows a value and hands the new one to ``apply`` from a Streamlit callback, so the whole
page then renders with the change made. Numbers get number inputs with the declared range,
choices a selectbox, booleans a toggle, tuples and shapes a text box (``3`` or ``3, 3``); the
*function* button beside a number turns it into an expression (``=round(32*width)``), and back.
An empty text box removes the value, so the declared default applies.

User text is never rendered as HTML or markdown: labels and values go through :func:`plain`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from layerloom.graph.expressions import is_expression

DEFAULT: Any = object()  # "remove the value": the declaration's default applies
NUMBER_KINDS = ("int", "float", "number")
LIST_KINDS = ("int_tuple", "float_tuple", "padding", "shape", "ints")
_ALWAYS = re.compile(r"([\\`*\[\]<>|~$&])")  # markup wherever it stands
_WORD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # kernel_size is safe
_DIRECTIVE_COLON = re.compile(r":(?=\S)")  # :red[…], :material/x:, :smile:
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+\.)")  # headings, lists, setext rules


def plain(text: Any) -> str:
    """``text`` escaped for Streamlit's markdown (labels, alerts): shown as typed, never as
    markup, with as few backslashes as that takes (screen readers read widget labels raw).

    >>> plain("kernel_size"), plain("a *b* [c](d) :red[e] _f_")
    ('kernel_size', 'a \\\\*b\\\\* \\\\[c\\\\](d) \\\\:red\\\\[e\\\\] \\\\_f\\\\_')
    >>> plain("conv2: needs [C, H, W]\\n# not a heading")
    'conv2: needs \\\\[C, H, W\\\\] # not a heading'
    """
    text = str(text).replace("\r", " ").replace("\n", " ")
    text = _ALWAYS.sub(r"\\\1", text)
    text = _WORD_EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _DIRECTIVE_COLON.sub(r"\\:", text)
    return _LINE_START.sub(r"\1\\\2", text)


@dataclass(frozen=True)
class Field:
    """What a widget needs of a declaration (``Param.describe()`` has these keys)."""

    name: str
    kind: str
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    nullable: bool = False

    @classmethod
    def of(cls, described: dict) -> Field:
        return cls(described["name"], described["kind"], described.get("default"),
                   described.get("help") or "", described.get("min"), described.get("max"),
                   tuple(described.get("choices") or ()), bool(described.get("nullable")))


def show_value(value: Any) -> str:
    """A value as the text boxes show it: ``[3, 3]`` → ``3, 3``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def parse_value(text: str, kind: str) -> Any:
    """What a text box means for a param of ``kind`` (:data:`DEFAULT` when it is empty).

    >>> parse_value("3, 3", "int_tuple"), parse_value("[1, 28, 28]", "shape")
    ([3, 3], [1, 28, 28])
    >>> parse_value("=round(32*width)", "int"), parse_value("same", "padding")
    ('=round(32*width)', 'same')
    >>> parse_value("=max(1, c), 3", "int_tuple")
    ['=max(1, c)', 3]
    """
    text = (text or "").strip()
    if not text:
        return DEFAULT
    if kind == "str" or kind == "choice":
        return text
    parts = _split(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    values = [_scalar(p) for p in parts]
    if kind in ("shape", "ints"):
        return values
    return values[0] if len(values) == 1 else values


def _split(text: str) -> list[str]:
    """Split at commas outside parentheses: ``=max(1, c), 3`` → ``["=max(1, c)", "3"]``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _scalar(text: str) -> Any:
    if is_expression(text):
        return text
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # validation names it: "expected a whole number, got 'abc'"


def seed(key: str, value: Any) -> None:
    """Make the widget ``key`` (drawn next, without a ``value=``) show ``value``.

    Keys stay the same from run to run, so a widget keeps its focus after an edit; a value
    changed elsewhere (an undo, the canvas) is written into the widget's state here.
    """
    if key not in st.session_state or st.session_state[key] != value:
        st.session_state[key] = value


def field(spec: Field, value: Any, *, key: str, apply: Callable[[Any], None],
          resolved: Any = None, label: str | None = None) -> None:
    """Draw the widget for ``spec`` holding ``value``; ``apply(new)`` runs when it changes.

    ``resolved`` is what an expression currently evaluates to: the literal that the function
    button leaves behind when it turns the expression back into a number.
    """
    label = plain(label or spec.name)
    shown = spec.default if value is DEFAULT else value
    expression = is_expression(shown)
    if spec.kind in NUMBER_KINDS:
        left, right = st.columns([6, 1], vertical_alignment="bottom", gap="xsmall")
        with left:
            if expression or not _is_number(shown):
                _text(spec, label, shown, key, apply)
            else:
                _number(spec, label, shown, key, apply)
        right.button("", icon=":material/function:", key=f"{key}:fx",
                     type="primary" if expression else "secondary",
                     help="Back to a number" if expression else
                     "Write an expression over variables, block params and in_shape, "
                     "e.g. =round(32*width)",
                     on_click=_switch_expression, args=(expression, shown, resolved, spec, apply))
    elif spec.kind == "bool" and not expression:
        seed(f"{key}:bool", bool(shown))
        st.toggle(label, key=f"{key}:bool", help=spec.help or None,
                  on_change=changed, args=(f"{key}:bool", bool(shown), lambda v: v, apply))
    elif spec.kind == "choice" and not expression:
        options = list(spec.choices) + ([shown] if shown not in spec.choices else [])
        seed(f"{key}:choice", shown)
        st.selectbox(label, options, key=f"{key}:choice", help=spec.help or None,
                     on_change=changed, args=(f"{key}:choice", shown, lambda v: v, apply))
    else:
        _text(spec, label, shown, key, apply)


def _is_number(value: Any) -> bool:
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(spec: Field, label: str, value: Any, key: str, apply) -> None:
    whole = spec.kind == "int" or spec.kind == "number" and isinstance(value, int)
    low, high = spec.min, spec.max
    if value is not None and (low is not None and value < low or
                              high is not None and value > high):
        low = high = None  # out of range (validation says so): show it anyway
    cast = int if whole else float
    key = f"{key}:{'int' if whole else 'float'}"
    shown = None if value is None else cast(value)
    seed(key, shown)
    st.number_input(
        label, min_value=None if low is None else cast(low),
        max_value=None if high is None else cast(high),
        step=1 if whole else _step(value, high), format=None if whole else "%g",
        key=key, help=spec.help or None, on_change=changed,
        args=(key, shown, lambda v: DEFAULT if v is None else v, apply))


def _step(value: Any, high: float | None) -> float:
    if high is not None and high <= 1:
        return 0.05
    return 0.1 if value is None or abs(value) >= 0.1 else 0.01


def _text(spec: Field, label: str, value: Any, key: str, apply) -> None:
    key = f"{key}:text"
    shown = show_value(value)
    seed(key, shown)
    st.text_input(label, key=key, help=spec.help or None,
                  placeholder=show_value(spec.default) or None,
                  on_change=changed, args=(key, shown, lambda v: parse_value(v, spec.kind), apply))


def changed(key: str, shown: Any, convert: Callable[[Any], Any],
             apply: Callable[[Any], None]) -> None:
    """Apply a widget's new value, unless it is the value the widget was drawn with: Streamlit
    can call ``on_change`` for every widget of a form that goes away (after a run was
    interrupted), and writing those values back would only add undo steps (and set defaults
    explicitly)."""
    value = st.session_state[key]
    if value != shown:
        apply(convert(value))


def _switch_expression(expression: bool, value: Any, resolved: Any, spec: Field, apply) -> None:
    if not expression:
        literal = resolved if resolved is not None else value
        apply(f"={show_value(literal) if literal is not None else spec.default}")
    else:
        literal = resolved if isinstance(resolved, (int, float)) else spec.default
        apply(DEFAULT if literal is None else literal)
