"""The variables panel: the design's knobs (width, depth, classes…) as sliders and number
inputs. Moving one changes the design's variable, so every shape and count is inferred again at
once, and the change is saved and undoable like any other.

Like the inspector's fields, every widget here is keyed by the value it shows and its callback
carries that value: an edit made on an older version of the variable (changed since by an undo,
another tab, a late callback) is refused with a toast, never written."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from layerloom.graph import edit
from layerloom.graph.expressions import is_expression

from .fields import DEFAULT, Field, changed, drawn, field, parse_value, plain, show_value
from .state import DesignerState


def render(state: DesignerState) -> None:
    variables = state.graph.variables
    evaluated = state.report().resolution.variables
    if not variables:
        st.caption("No variables yet: add design-wide knobs such as width or depth, and use "
                   "them in params as =round(32*width).")
    for name, value in variables.items():
        key = f"var:{state.project_id}:{name}"
        left, right = st.columns([7, 1], vertical_alignment="bottom")
        with left:
            if isinstance(value, float):
                top = _top(value)
                shown = min(value, top)
                wkey = drawn(f"{key}:slider", shown)
                st.slider(plain(name), min_value=0.0, max_value=top, value=shown,
                          step=0.05 if top <= 4 else 0.5, key=wkey, on_change=changed,
                          args=(wkey, shown, float, partial(_change, state, name), value,
                                partial(stored, state, name)))
            else:
                field(Field(name, "number", value), value, key=key,
                      apply=partial(_change, state, name), resolved=evaluated.get(name),
                      current=partial(stored, state, name))
                if is_expression(value) and name in evaluated:
                    st.caption(f"{plain(name)} = {show_value(evaluated[name])}")
        right.button("", icon=":material/close:", key=f"{key}:rm", help=f"Remove {name}",
                     on_click=_remove, args=(state, name))
    with st.form(key=f"var:add:{state.revision}", border=False):
        left, mid, right = st.columns([3, 3, 2], vertical_alignment="bottom")
        name = left.text_input("New variable", placeholder="depth")
        value = mid.text_input("Value", placeholder="2")
        if right.form_submit_button("Add"):
            parsed = parse_value(value, "number")
            _set(state, name.strip(), 1 if parsed is DEFAULT else parsed)
            st.rerun()


def _top(value: float) -> float:
    """Slider range: up to twice the value, at least 2 (width multipliers live in 0…2)."""
    return float(max(2.0, round(value * 2, 1)))


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
