"""The variables panel: the design's knobs (width, depth, classes…) as sliders (a float,
with a box to type an exact value) and number inputs. Moving one changes the design's
variable, so every shape and count is inferred again at once, and the change is saved and
undoable like any other.

Like the inspector's fields, every widget here is keyed by the value it shows and its callback
carries that value: an edit made on an older version of the variable (changed since by an undo,
another tab, a late callback) is refused with a toast, never written."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import streamlit as st

from layerloom.graph import edit
from layerloom.graph.expressions import is_expression

from .fields import (DEFAULT, Field, changed, drawn, field, parse_value, plain, refuse,
                     show_value, spelled_out, unseen)
from .state import DesignerState

# characters a float variable's box (beside its slider) shows whole: 27 px of text at 1024 px,
# '1.05' but not '0.125'; a longer value is written out under the row
BOX_FITS = 4


def render(state: DesignerState) -> None:
    variables = state.graph.variables
    evaluated = state.report().resolution.variables
    if not variables:
        st.caption("No variables yet: add design-wide knobs such as width or depth, and use "
                   "them in params as =round(32*width).")
    for name, value in variables.items():
        key = f"var:{state.project_id}:{name}"
        if isinstance(value, float):
            left, box, right = st.columns([5, 2, 1], vertical_alignment="bottom",
                                          gap="xsmall")
            with left:
                top = _top(value)
                step = 0.05 if top <= 4 else 0.5
                # from one step up: a multiplier of 0 makes every layer it sizes empty (the
                # box beside takes any value)
                shown = min(max(value, step), top)
                wkey = drawn(f"{key}:slider", shown)
                args = (wkey, shown, float, partial(_change, state, name), value,
                        partial(stored, state, name))
                unseen(st.slider(plain(name), min_value=step, max_value=top, value=shown,
                                 step=step, key=wkey, on_change=changed, args=args), *args)
            with box:  # an exact value typed (depth 3.1), beyond the slider's range too
                text = f"{value:g}"
                bkey = drawn(f"{key}:box", text)
                args = (bkey, text, partial(_typed, name), partial(_change, state, name),
                        value, partial(stored, state, name))
                unseen(st.text_input(f"{plain(name)} value", value=text, key=bkey,
                                     label_visibility="collapsed",
                                     help=f"Type {plain(name)}'s value (Enter applies it)",
                                     on_change=changed, args=args), *args)
            spelled_out(text, BOX_FITS)  # under the row, as a param's (the slider rounds it)
        else:
            left, right = st.columns([7, 1], vertical_alignment="bottom")
            with left:
                field(Field(name, "number", value), value, key=key,
                      apply=partial(_change, state, name), resolved=evaluated.get(name),
                      current=partial(stored, state, name))
                if is_expression(value) and name in evaluated:
                    st.caption(f"{plain(name)} = {show_value(evaluated[name])}")
        right.button("", icon=":material/close:", key=f"{key}:rm", help=f"Remove {name}",
                     on_click=_remove, args=(state, name))
    # one form, cleared once added: keyed by the revision, which a new session counts from 0
    # again, a variable typed before the server restarted reached no form there and was lost
    # the button under the boxes: beside them, a third of the side column at 1024 px read "A…"
    with st.form(key="var:add", border=False, clear_on_submit=True):
        left, mid = st.columns(2, vertical_alignment="bottom")
        name = left.text_input("New variable", placeholder="depth")
        value = mid.text_input("Value", placeholder="2")
        if st.form_submit_button("Add"):
            parsed = parse_value(value, "number")
            _set(state, name.strip(), 1 if parsed is DEFAULT else parsed)
            st.rerun()


def _top(value: float) -> float:
    """Slider range: 0 to 2 (width multipliers live there), doubled until the value sits in
    the lower 95 % of it. The range stays put while the value moves within it: a range that
    followed the value (twice it) moved the thumb's scale at every step, and a new range is a
    new slider, which lost the keyboard's focus after one arrow key.

    >>> _top(1.0), _top(1.9), _top(1.95), _top(3.1), _top(0.2)
    (2.0, 2.0, 4.0, 4.0, 2.0)
    """
    top = 2.0
    while value > top * 0.95:
        top *= 2
    return top


def _typed(name: str, text: str) -> Any:
    """A float variable's typed value: a number (an int typed stays a float, as the slider
    needs), an ``=expression`` of other variables (EfficientNet's ``width`` as
    ``=1.1 ** phi``), or :data:`DEFAULT` (nothing changes) with a toast saying why."""
    if is_expression(str(text).strip()):
        return str(text).strip()
    try:
        value = float(str(text).strip())
    except ValueError:
        refuse(f"{name} takes a number; {str(text).strip()!r} is not one")
        return DEFAULT
    if not math.isfinite(value):
        refuse(f"{name} takes a finite number")
        return DEFAULT
    return value


def _change(state: DesignerState, name: str, value: Any) -> None:
    if name in state.graph.variables:  # not a late callback of a removed variable
        _set(state, name, value)


def stored(state: DesignerState, name: str) -> Any:
    """The variable's value now (a callback compares it with what its widget showed); None
    when it is gone."""
    return state.graph.variables.get(name)


def _set(state: DesignerState, name: str, value: Any) -> None:
    if value is DEFAULT:
        return
    state.apply(edit.set_variable, name, value)


def _remove(state: DesignerState, name: str) -> None:
    state.apply(edit.set_variable, name)
