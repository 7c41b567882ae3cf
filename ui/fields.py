"""One input widget per declared param kind, shared by the inspector, block params and variables.

A field shows a value and hands the new one to ``apply`` from a Streamlit callback, so the whole
page then renders with the change made.

No callback writes anything but the user's edit: each widget's key names the value it shows
(a value changed by anything but the widget itself is a new widget, whose built-in default *is*
that value, so a widget that the browser re-creates and reports with its default reports what it
showed; a widget holding the user's own stored edit keeps its key, so typing in it goes on: see
:func:`drawn`), the callback carries the value drawn, and it is refused (``current``) when the
stored value is no longer the one drawn: an edit made on an older version (a toast says so).
See :func:`changed`. Every callback here runs to its end (:func:`whole`): Streamlit would stop
one at its first session read after a newer key press or Enter reached the server (the edit lost,
or applied but not noted as the widget's own, so the next one was refused as stale).
Numbers get number inputs with the declared range,
choices a selectbox, booleans a toggle, tuples and shapes a text box (``3`` or ``3, 3``); the
*function* button beside a number turns it into a box for an expression (``=round(32*width)``),
stored once one is typed, and an expression back into the number it gives.
An empty text box removes the value, so the declared default applies.

User text is never rendered as HTML or markdown: labels and values go through :func:`plain`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import streamlit as st

from layerloom.graph.expressions import is_expression

DEFAULT: Any = object()  # "remove the value": the declaration's default applies
UNCHECKED: Any = object()  # changed(): no stored value to compare with
STALE = "That edit was made on an older version of the design and was not applied"
_DRAWING = "_layerloom_fields_drawing"  # widget keys drawn by the run in progress
_DRAWN = "_layerloom_fields_drawn"  # ... by the last completed run (and runs cut short since)
_WROTE = "_layerloom_fields_wrote"  # widget key -> the value its last applied edit stored
_KEYS = "_layerloom_fields_keys"  # widget base -> the key it was last drawn with
_FRESH = "_layerloom_fields_fresh"  # a counter making keys no widget has had
_REFUSED = "_layerloom_fields_refused"  # refusals said in a callback, toasted as the run draws
_WRITING = "_layerloom_fields_writing"  # field key -> the stored value its fx turned into a box
_UNSEEN = "_layerloom_fields_unseen"  # widget keys whose unseen edit was taken (see unseen)
_SUBMITTED = "_layerloom_fields_submitted"  # forms whose submit callback ran (see unseen_submit)
_WHOLE = threading.local()  # .depth: callbacks under whole() on this (the script's) thread
log = logging.getLogger(__name__)
NUMBER_KINDS = ("int", "float", "number")
LIST_KINDS = ("int_tuple", "float_tuple", "padding", "shape", "ints")
_ALWAYS = re.compile(r"([\\`*\[\]<>|~$&])")  # markup wherever it stands
_WORD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # kernel_size is safe
_DIRECTIVE_COLON = re.compile(r":(?=\S)")  # :red[…], :material/x:, :smile:
_LINE_START = re.compile(r"^(\s*)([#+\-=])")  # headings, lists, setext rules
# an ordered list's marker ('1. ', '2) '), escaped at its punctuation: a backslash before the
# digit is no markdown escape and was drawn ('\0.000316228'); '0.5' starts no list
_LIST_NUMBER = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")


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
    return _LIST_NUMBER.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", text))


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
    """A value as the text boxes show it: ``[3, 3]`` → ``3, 3``; an empty list ``[]`` (an
    Input of one id per sample), which an empty box would take back to the default."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)) and not value:
        return "[]"
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
        number = float(text)
    except ValueError:
        return text  # validation names it: "expected a whole number, got 'abc'"
    # 'nan', 'inf' as typed: as floats they were saved as NaN, which no browser reads in JSON
    return number if math.isfinite(number) else text


def seed(key: str, value: Any) -> None:
    """Make the widget ``key`` (drawn next, without a ``value=``) show ``value``.

    Keys stay the same from run to run, so a widget keeps its focus after an edit; a value
    changed elsewhere (an undo, the canvas) is written into the widget's state here.
    """
    if key not in st.session_state or st.session_state[key] != value:
        st.session_state[key] = value


def field(spec: Field, value: Any, *, key: str, apply: Callable[[Any], None],
          resolved: Any = None, label: str | None = None,
          current: Callable[[], Any] | None = None) -> None:
    """Draw the widget for ``spec`` holding ``value``; ``apply(new)`` runs when it changes.

    ``resolved`` is what an expression currently evaluates to: the literal that the function
    button leaves behind when it turns the expression back into a number. ``current()`` reads
    the stored value when the callback runs (:data:`DEFAULT` when there is none): an edit is
    applied only while it is still ``value`` (the field is untouched since it was drawn).
    """
    label = plain(label or spec.name)
    shown = spec.default if value is DEFAULT else value
    expression = is_expression(shown)
    check = (value, current)
    if spec.kind in NUMBER_KINDS:
        writing = _writing(key, value) and not expression
        text = ""
        left, right = st.columns([6, 1], vertical_alignment="bottom", gap="xsmall")
        with left:
            if writing:  # the number as an expression to edit: stored once something is typed
                text = _text(spec, label, _as_expression(shown, resolved, spec), key, apply,
                             check)
            elif expression or not _is_number(shown):
                text = _text(spec, label, shown, key, apply, check)
            else:
                _number(spec, label, shown, key, apply, check)
        right.button("", icon=":material/function:", key=f"{key}:fx",
                     type="primary" if expression or writing else "secondary",
                     help="Back to a number" if expression or writing else
                     "Write an expression over variables, block params and in_shape, "
                     "e.g. =round(32*width)",
                     on_click=_switch_expression,
                     args=(expression, shown, resolved, spec, apply, check, key, writing))
        spelled_out(text)  # under the row: in the left column it pushed fx off the box
    elif spec.kind == "bool" and not expression:
        wkey = drawn(f"{key}:bool", bool(shown))
        args = (wkey, bool(shown), lambda v: v, apply, *check)
        unseen(st.toggle(label, value=bool(shown), key=wkey, help=spec.help or None,
                         on_change=changed, args=args), *args)
    elif spec.kind == "choice" and not expression:
        options = list(spec.choices) + ([shown] if shown not in spec.choices else [])
        wkey = drawn(f"{key}:choice", shown)
        args = (wkey, shown, lambda v: v, apply, *check)
        unseen(st.selectbox(label, options, index=options.index(shown), key=wkey,
                            help=spec.help or None, on_change=changed, args=args), *args)
    else:  # a text box shows what is stored: empty (the default as placeholder) when unset
        spelled_out(_text(spec, label, None if value is DEFAULT else shown, key, apply, check))


# characters a param's box shows whole, with room to spare: beside its fx button in the
# inspector at 1024 px a box shows about 37 of the 109 of efficientnet-b0's stem expression
# (the rest only by clicking into it and scrolling); a narrower window shows fewer
FITS = 24


def spelled_out(text: str, fits: int = FITS) -> None:
    """``text``, the value a box shows, written out in full under it where it is longer than
    the box shows (``fits`` characters, :data:`FITS` for a box as wide as its column): a box
    of one line, so that Enter still applies an edit.

    Drawn as a slot on every run, empty for a short value: a value that grows long would
    otherwise add an element and shift the fields below, which Streamlit re-creates (the text
    being typed in one is lost).
    """
    slot = st.empty()
    if len(text) > fits:
        slot.caption(plain(text))


def widget_key(base: str, shown: Any) -> str:
    """``base`` and a digest of the value shown: another value is another widget.

    >>> widget_key("k:text", "3") == widget_key("k:text", "3") != widget_key("k:text", "4")
    True
    """
    digest = hashlib.blake2s(repr((type(shown).__name__, shown)).encode(), digest_size=4)
    return f"{base}:{digest.hexdigest()}"


def drawn(base: str, shown: Any) -> str:
    """The key of the widget ``base`` showing ``shown``, noted as drawn in this run.

    A widget that already holds ``shown`` (the user's own edit, now stored) keeps its key, so
    it is not re-created: what the user goes on typing in it stays there (a re-created box
    would replace the text typed before its Enter). Any other value is another widget, whose
    built-in default is that value (:func:`widget_key`).
    """
    key = widget_key(base, shown)
    try:
        keys = st.session_state.setdefault(_KEYS, {})
        before = keys.get(base)
        if before is not None and _holds(before, shown):
            key = before
        elif key in st.session_state and not _holds(key, shown):
            # that key's widget was kept through the user's edits and holds another value
            # now: a new widget, never one showing a value that is not stored
            fresh = st.session_state[_FRESH] = st.session_state.get(_FRESH, 0) + 1
            key = widget_key(base, (shown, fresh))
        keys[base] = key
        if len(keys) > 4096:  # bases of nodes long gone
            for old in list(keys)[:2048]:
                del keys[old]
    except Exception:  # no session (a bare call): value-keyed
        pass
    try:
        drawing = st.session_state.setdefault(_DRAWING, set())
        drawing.add(key)
        st.session_state.setdefault(_DRAWN, set()).add(key)
    except Exception:  # no session (a bare call): nothing to note
        pass
    return key


def _holds(key: str, shown: Any) -> bool:
    """Whether the widget ``key`` (still in the session) holds ``shown``, type and all."""
    if key not in st.session_state:
        return False
    value = st.session_state[key]
    return type(value) is type(shown) and value == shown


def begin_run() -> None:
    """A script run starts: the widgets it draws are noted afresh, and the refusals its
    callbacks said are toasted (call before drawing)."""
    st.session_state[_DRAWING] = set()
    show_refused()


def end_run() -> None:
    """The script run completed: the widgets it did not draw are gone from the page, and a
    callback of theirs (Streamlit can call one after an interrupted run) is refused unless it
    can check the stored value (see :func:`changed`)."""
    st.session_state[_DRAWN] = set(st.session_state.get(_DRAWING, ()))


def _is_number(value: Any) -> bool:
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(spec: Field, label: str, value: Any, key: str, apply, check) -> None:
    whole = spec.kind == "int" or spec.kind == "number" and isinstance(value, int)
    cast = int if whole else float
    shown = None if value is None else cast(value)
    key = drawn(f"{key}:{'int' if whole else 'float'}", shown)
    # no min_value/max_value: a number out of range reaches the design, whose check says so on
    # the block ("out_features must be at least 1, got -1"), as a text param's does. The
    # browser's own refusal kept the typed -1 in the box, named no block, and Enter did nothing
    args = (key, shown, lambda v: DEFAULT if v is None else v, apply, *check)
    unseen(st.number_input(
        label, value=shown,
        step=1 if whole else _step(value, spec.max), format=None if whole else "%g",
        key=key, help=spec.help or None, on_change=changed, args=args), *args)


def _step(value: Any, high: float | None) -> float:
    if high is not None and high <= 1:
        return 0.05
    return 0.1 if value is None or abs(value) >= 0.1 else 0.01


def _text(spec: Field, label: str, value: Any, key: str, apply, check) -> str:
    """A text box for ``value``; the text it shows."""
    shown = show_value(value)
    key = drawn(f"{key}:text", shown)
    args = (key, shown, lambda v: parse_value(v, spec.kind), apply, *check)
    unseen(st.text_input(label, value=shown, key=key, help=spec.help or None,
                         placeholder=show_value(spec.default) or None, on_change=changed,
                         args=args), *args)
    return shown


def text_box(label: str, value: str, *, key: str, apply: Callable[[str], None],
             current: Callable[[], Any] | None = None, area: bool = False,
             **kwargs: Any) -> None:
    """A plain text box (a label, an id; ``area``: several lines) with the same guarantees as
    :func:`field`; a one-line box's long value is written out in full under it, as a param's
    is (:func:`spelled_out`)."""
    wkey = drawn(f"{key}:{'area' if area else 'text'}", value)
    args = (wkey, value, str, apply, value, current)
    unseen((st.text_area if area else st.text_input)(
        label, value=value, key=wkey, on_change=changed, args=args, **kwargs), *args)
    if not area:
        spelled_out(value)


def unseen(returned: Any, key: str, shown: Any, *rest: Any) -> None:
    """Apply an edit whose callback never ran: the widget ``key`` (drawn showing ``shown``)
    came back holding another value, the user's, that no callback took; ``rest``: the rest of
    :func:`changed`'s arguments, its checks included. Then the page is drawn again.

    Streamlit calls a widget's ``on_change`` only for widgets its session drew before. A
    session that is new (the server restarted while the tab was open, or the tab was away
    until its session ended) takes the browser's values of the widgets it still shows with
    its first run, and calls none: the box kept the value typed (kernel_size 5, a label)
    while the design kept the old one, without a word. A widget's key names the value it
    showed (:func:`drawn`), so the value is the user's edit of the value stored now, and is
    applied as its callback would have (a value changed since is refused, said). Once per key
    and session: a value that could not be applied is never tried again in a loop.
    """
    if returned == shown:
        return
    try:
        taken = st.session_state.setdefault(_UNSEEN, set())
    except Exception:  # no session (a bare call)
        return
    if key in taken:
        return
    taken.add(key)
    log.warning("the edit of %s reached this session without its callback: applied now", key)
    changed(key, shown, *rest)
    st.rerun()


def took(form: str) -> None:
    """Note, from the submit callback of ``form``, that this session took its submission (see
    :func:`unseen_submit`)."""
    try:
        taken = st.session_state.setdefault(_SUBMITTED, set())
        if len(taken) > 64:
            taken.clear()
        taken.add(form)
    except Exception:  # no session (a bare call)
        pass


def unseen_submit(returned: bool, form: str, callback: Callable[..., None], *args: Any) -> None:
    """Take the submission of ``form`` whose ``on_click`` never ran: its submit button came back
    pressed (``returned``) in a session that had not drawn it, so no callback took it, and the
    callback (which calls :func:`took`) is called now with ``args``; then the page is drawn
    again.

    As for :func:`unseen`: a form filled in before the server restarted (or before the tab's
    session ended) and submitted after reaches a new session, whose first run calls no
    callback; the name typed was neither applied nor kept. The form's key names what it
    showed (never a revision, which a new session counts from 0 again), so the browser's
    values reach the form drawn now only while what it shows is unchanged: a name typed over
    one another tab changed since is never taken for an edit of the new one.
    """
    if not returned:
        return
    try:
        taken = st.session_state.setdefault(_SUBMITTED, set())
    except Exception:  # no session (a bare call)
        return
    if form in taken:
        taken.discard(form)
        return
    log.warning("the submission of %s reached this session without its callback: taken now",
                form)
    callback(*args)
    st.rerun()


def whole(callback: Callable[..., None]) -> Callable[..., None]:
    """``callback`` (a widget's ``on_change``/``on_click``) run to its end whatever the browser
    sends meanwhile.

    Streamlit looks for a newer rerun request (the next arrow key on a slider, Enter in another
    box) at every read or write of the session state and every message sent, in a callback too,
    and one found there stops the callback where it stands, as if it had called ``st.rerun()``.
    The run that follows starts from the widget values of that request, the stopped callback's
    widget among them, so it is never called again for its value. An edit cut short before
    :func:`changed` applied it was lost (a value of another widget's request); one applied but
    not yet noted as its widget's own was followed by that widget's next edit refused as made on
    an older version (five quick arrow keys on ``width`` saved 1.15 instead of 1.25, and the
    slider was drawn anew, without the keyboard's focus).

    Here those checks are held while the callback runs: the request waits, merged with any later
    one as Streamlit merges them, and stops the run as soon as the callbacks are done, before
    anything is drawn. A toast said meanwhile is kept and shown as the run draws
    (:func:`refuse`). Outside a script run (or where Streamlit has no such checks) the callback
    is simply called.
    """
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> None:
        with _checks_held():
            return callback(*args, **kwargs)
    return run


@contextmanager
def _checks_held() -> Iterator[None]:
    """Streamlit's rerun checks at session reads and writes held (see :func:`whole`)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:  # another Streamlit: nothing held
        ctx = None
    safe = getattr(ctx, "session_state", None)  # a SafeSessionState, which checks first
    check = getattr(safe, "_yield_callback", None)
    if check is None:
        yield
        return
    object.__setattr__(safe, "_yield_callback", _no_check)
    _WHOLE.depth = getattr(_WHOLE, "depth", 0) + 1
    try:
        yield
    finally:
        _WHOLE.depth -= 1
        object.__setattr__(safe, "_yield_callback", check)


def _no_check() -> None:
    """A rerun check that lets the callback go on (the request waits for it)."""


@whole
def changed(key: str, shown: Any, convert: Callable[[Any], Any],
            apply: Callable[[Any], None], drawn_value: Any = UNCHECKED,
            current: Callable[[], Any] | None = None) -> None:
    """Apply a widget's new value when it is the user's edit of what is stored now.

    Not applied: the value the widget was drawn with (Streamlit can call ``on_change`` for every
    widget of a form that goes away after a run was interrupted; writing those values back
    would add undo steps and set defaults explicitly); with ``current``, an edit of a value that
    changed since it was drawn (``drawn_value``) by anything but this widget: that edit was made
    on an older version, and a toast says so. Without ``current``, a widget that a completed run no longer drew (its form
    is gone) is refused too. With it, such a widget's edit is applied while the field is
    untouched: the browser can still show a form that the server has just replaced (a click
    elsewhere, then typing at once), and what the user typed there is their edit.
    """
    value = st.session_state.get(key, shown)
    if value == shown:
        return
    gone = st.session_state.get(_DRAWN)
    if current is None and gone is not None and key not in gone:
        log.warning("refused a callback of %s: its widget is no longer drawn", key)
        refuse(STALE)  # the user may have typed it: say so
        return
    wrote = st.session_state.get(_WROTE)
    if current is not None and drawn_value is not UNCHECKED:
        now = current()
        # untouched since it was drawn, or since this very widget last wrote it (the user
        # edits again before the form shows their previous edit)
        mine = isinstance(wrote, dict) and key in wrote and wrote[key] == now
        if now != drawn_value and not mine:
            log.warning("refused an edit of %s: drawn %r, stored now %r", key, drawn_value, now)
            refuse(STALE)
            return
    new = convert(value)
    apply(new)
    if current is not None:
        try:
            wrote = st.session_state.setdefault(_WROTE, {})
            if len(wrote) > 256:
                wrote.clear()
            wrote[key] = current()
        except Exception:  # no session (a bare call)
            pass


def refuse(text: str) -> None:
    """Say that an edit was not applied (a toast: the page goes on). From a callback under
    :func:`whole` the text is kept in the session and toasted as the run draws
    (:func:`begin_run`): sending a message is one of Streamlit's rerun checks, which would stop
    the callback and lose the toast."""
    try:
        st.session_state.setdefault(_REFUSED, []).append(text)
    except Exception:  # no session (a bare call)
        log.warning("%s", text)
        return
    if not getattr(_WHOLE, "depth", 0):
        show_refused()


def show_refused() -> None:
    """Toast the refusals not shown yet, oldest first. Each leaves the list once its toast is
    sent: one that a newer rerun request stops before it is sent is shown by the next run."""
    try:
        said = st.session_state.get(_REFUSED)
    except Exception:  # no session (a bare call)
        return
    while said:
        try:
            st.toast(said[0], icon=":material/block:")
        except Exception:  # outside a script run
            log.warning("%s", said[0])
        said.pop(0)


def _as_expression(value: Any, resolved: Any, spec: Field) -> str:
    """The number a field shows, as the expression its box starts from: ``3`` → ``=3``."""
    literal = resolved if resolved is not None else value
    return f"={show_value(literal) if literal is not None else spec.default}"


def _writing(key: str, value: Any) -> bool:
    """Whether the fx of field ``key`` was pressed while it held ``value``, which it still
    holds: its box for an expression is shown, and nothing is stored until one is typed. A
    value changed since (the expression typed, an undo, the canvas) ends it, so that an undo
    of the expression brings the number box back."""
    try:
        marks = st.session_state.get(_WRITING)
    except Exception:  # no session (a bare call)
        return False
    if not marks or key not in marks:
        return False
    held = marks[key]
    if held is value or type(held) is type(value) and held == value:
        return True
    del marks[key]
    return False


@whole
def _switch_expression(expression: bool, value: Any, resolved: Any, spec: Field, apply,
                       check: tuple, key: str, writing: bool) -> None:
    """The fx button: a number becomes a box for an expression, which is stored only once the
    user types one (pressing fx is no edit: it saved ``=1`` into a ``repeat``, an undo step the
    user never made); pressed again before that, the number is back, nothing stored either.
    An expression stored becomes the number it gives."""
    drawn_value, current = check
    if current is not None and drawn_value is not UNCHECKED and current() != drawn_value:
        refuse(STALE)
        return
    if expression:
        literal = resolved if isinstance(resolved, (int, float)) else spec.default
        apply(DEFAULT if literal is None else literal)
        return
    marks = st.session_state.setdefault(_WRITING, {})
    if writing:
        marks.pop(key, None)
    else:
        marks[key] = drawn_value
