"""Form fields drawn from declarations: dataset options (``list_datasets``/``list_file_kinds``)
and training-config fields (``describe_fields``). Each field is declared once in the runtime;
this module only turns a declaration into the matching Streamlit widget.

Widgets keep their value under ``key`` while the page is shown; :func:`seed` puts the value from
the typed page state there first, so a page left and reopened shows what was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

DEFAULT = "(default)"


def seed(key: str, value: Any) -> None:
    """Give widget ``key`` its starting value unless it already has one this session."""
    if key not in st.session_state:
        st.session_state[key] = value


def kind_of(decl: dict) -> str:
    """The widget kind of a declaration: an option's ``kind``, or a config field's type."""
    if decl.get("kind"):
        return decl["kind"]
    if decl.get("choices"):
        return "choice"
    typ = str(decl.get("type", "str")).split("|")[0].strip()
    return {"tuple": "pair"}.get(typ, typ)


def _bounds(decl: dict, whole: bool) -> dict:
    cast = int if whole else float
    out = {}
    low = decl.get("min") if decl.get("min") is not None else decl.get("above")
    if low is not None:
        out["min_value"] = cast(low)
    if decl.get("max") is not None:
        out["max_value"] = cast(decl["max"])
    return out


def field_widget(decl: dict, value: Any, key: str, *, columns: Sequence[str] | None = None,
                 label: str | None = None, bounded: bool = True, empty: str | None = None,
                 shown: Callable[[Any], str] | None = None) -> Any:
    """Draw the widget for ``decl`` showing ``value``; return what the user chose.

    ``columns`` (a CSV file's header) turns column-name fields into drop-downs. ``bounded``
    False leaves a number's range to the caller's check: the browser's own refusal of a value
    out of range keeps it in the box unapplied, and the value before it is used unseen.
    ``empty`` says what an empty number box means ("all cores"); by default "off".
    ``shown`` gives a choice's words (``val_loss`` → "Validation loss"); the value is the key.
    """
    kind, name = kind_of(decl), decl["name"]
    label = label or name.replace("_", " ")
    help_text = decl.get("help")
    nullable = decl.get("nullable") or decl.get("default") is None
    if kind == "bool":
        seed(key, bool(value))
        return st.checkbox(label, key=key, help=help_text)
    if kind == "choice":
        choices = list(decl["choices"])
        seed(key, value if value in choices else choices[0])
        if st.session_state[key] not in choices:  # the choices changed (another task's metrics)
            st.session_state[key] = value if value in choices else choices[0]
        return st.selectbox(label, choices, key=key, help=help_text,
                            **({"format_func": shown} if shown else {}))
    if kind in ("int", "float"):
        whole = kind == "int"
        start = None if value is None else (int(value) if whole else float(value))
        seed(key, start)
        step = 1 if whole else _float_step(decl, decl.get("default"))
        return st.number_input(label, key=key, help=help_text, step=step,
                               format=None if whole else "%g",
                               **(_bounds(decl, whole) if bounded else {}),
                               placeholder=f"empty = {empty or 'off'}" if nullable else None)
    if kind == "size":
        size = value[0] if isinstance(value, (list, tuple)) else value
        seed(key, size)
        got = st.number_input(label, key=key, help=help_text, step=1,
                              **(_bounds(decl, True) if bounded else {}), placeholder="auto")
        return None if got is None else (int(got), int(got))
    if kind == "names":
        chosen = list(value or ())
        if columns:
            seed(key, [c for c in chosen if c in columns])
            return tuple(st.multiselect(label, list(columns), key=key, help=help_text))
        seed(key, ", ".join(chosen))
        text = st.text_input(label, key=key, help=help_text)
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind == "orders":  # one order for every column, and one a column by name
        return _orders_widget(decl, value, key, label, help_text)
    if kind == "pair":  # two numbers in [0, 1) (Adam's betas)
        first, second = (list(value) + [None, None])[:2]
        bounds = {"min_value": 0.0, "max_value": 0.9999} if bounded else {}
        left, right = st.columns(2)
        with left:
            seed(f"{key}.0", float(first))
            a = st.number_input(f"{label} (1)", key=f"{key}.0", format="%g",
                                help=help_text, **bounds)
        with right:
            seed(f"{key}.1", float(second))
            b = st.number_input(f"{label} (2)", key=f"{key}.1", format="%g", **bounds)
        return (a, b)
    # free text; with columns, a drop-down of the header
    if columns:
        options = [DEFAULT] + list(columns)
        seed(key, value if value in columns else DEFAULT)
        got = st.selectbox(label, options, key=key, help=help_text)
        return None if got == DEFAULT else got
    seed(key, "" if value is None else str(value))
    got = st.text_input(label, key=key, help=help_text)
    return got if got or not nullable else None


def _orders_widget(decl: dict, value: Any, key: str, label: str, help_text: str | None) -> Any:
    """A drop-down of the order for every column (``key``, as a one-choice option has) and a
    box of orders by column (``ordered:dmy, shipped:mdy``) for the columns that differ; what
    the two say together, in the option's text form (the loader names a wrong entry)."""
    from layerloom.runtime.data.options import orders_text

    choices = list(decl["choices"])
    given = value if isinstance(value, dict) else \
        {"*": value} if value in choices or not isinstance(value, str) else orders_text(value)
    given = given if isinstance(given, dict) else {"*": choices[0]}
    every = given.get("*", choices[0])
    seed(key, every if every in choices else choices[0])
    every = st.selectbox(label, choices, key=key, help=help_text)
    seed(f"{key}.columns", ", ".join(f"{c}:{o}" for c, o in given.items() if c != "*"))
    by_column = st.text_input(f"{label} by column", key=f"{key}.columns",
                              placeholder="ordered:dmy, shipped:mdy",
                              help="An order for some date columns by name, each as column:dmy "
                                   "or column:mdy, separated by commas; the others read as "
                                   "chosen above").strip()
    if not by_column:
        return every
    return by_column if every == choices[0] else f"{every}, {by_column}"


def _shown(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"


def range_problem(label: str, value: Any, low: Any = None, high: Any = None) -> str | None:
    """``validation share must be between 0 and 0.9, got 0.95``, or None where ``value`` is in
    range (or empty: a box left empty means off or auto)."""
    if value is None or (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        rule = f"between {_shown(low)} and {_shown(high)}"
    else:
        rule = f"at least {_shown(low)}" if low is not None else f"at most {_shown(high)}"
    return f"{label} must be {rule}, got {_shown(value)}"


def sample_index(n: int, key: str, label: str = "Test sample") -> int | None:
    """A box for the index of one of ``n`` test samples, or None (said below it) where the
    index typed is out of range ("test sample must be between 0 and 99, got 500"). The box
    has no min_value/max_value: the browser's own refusal left 500 in it unapplied while the
    sample before it was shown, unseen."""
    high = max(0, n - 1)
    got = st.number_input(label, value=0, step=1, key=key,
                          help=f"One of the {n} test samples: 0 to {high}")
    problem = (range_problem(label.lower(), got, 0, high) if got is not None else
               f"{label.lower()} must be between 0 and {high}, got nothing")
    if problem:
        st.error(problem, icon=":material/error:")
        return None
    return int(got)


def decl_problem(decl: dict, got: Any, label: str | None = None) -> str | None:
    """What is wrong with ``got`` (a :func:`field_widget` value) for a number or size
    declaration's range, in words naming it; None where it is in range."""
    kind = kind_of(decl)
    if kind not in ("int", "float", "size"):
        return None
    value = got[0] if kind == "size" and isinstance(got, (list, tuple)) else got
    label = label or decl["name"].replace("_", " ")
    low = decl.get("min")
    if low is None and decl.get("above") is not None:
        if value is not None and value <= decl["above"]:
            return f"{label} must be above {_shown(decl['above'])}, got {_shown(value)}"
    return range_problem(label, value, low, decl.get("max"))


def _float_step(decl: dict, value: Any) -> float:
    """A step a tenth of the value's size, so rates like 3e-4 can be nudged sensibly."""
    if isinstance(value, (int, float)) and value:
        import math

        return float(10 ** math.floor(math.log10(abs(value)) - 1))
    high = decl.get("max")
    return 0.01 if high is None or high <= 1 else 0.1


def options_form(declared: Sequence[dict], values: dict, key: str, *,
                 columns: Sequence[str] | None = None, only: Sequence[str] | None = None,
                 refused: list[str] | None = None) -> dict:
    """Widgets for each declared option; returns the options that differ from the default.

    With ``refused`` (a list), a number's boxes take any value and one out of its declared
    range is said right below its box ("image size must be between 1 and 4096, got 5000") and
    added to ``refused``: the browser's own refusal left it in the box unapplied, and the
    value before it was used unseen."""
    chosen = {}
    for decl in declared:
        name = decl["name"]
        if only is not None and name not in only:
            continue
        default = decl.get("default")
        default = tuple(default) if isinstance(default, list) else default
        value = values.get(name, default)
        cols = columns if kind_of(decl) in ("str", "names") else None
        got = field_widget(decl, value, f"{key}.{name}", columns=cols,
                           bounded=refused is None)
        problem = None if refused is None else decl_problem(decl, got)
        if problem:
            st.error(problem, icon=":material/error:")
            refused.append(problem)
        if got != default and not (got in ((), "", None) and default in ((), "", None)):
            chosen[name] = got
    return chosen
