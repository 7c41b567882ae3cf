"""A widget's callback runs to its end when a newer rerun request reaches the server meanwhile
(``fields.whole``): Streamlit looks for one at every session read and write, and one found in a
callback stopped it there. With Streamlit's own ``SafeSessionState``, whose check raises the
request the way the script runner does, and a stored value that the callbacks edit. The other
callbacks that read a widget's value from the session (project panel, theme, view, export
pick) run whole too."""

from __future__ import annotations

from collections.abc import MutableMapping
from types import SimpleNamespace

import pytest
import streamlit.runtime.scriptrunner as scriptrunner
from streamlit.runtime.scriptrunner import RerunData, RerunException
from streamlit.runtime.state import SafeSessionState, SessionState

from layerloom.ui import fields


class Proxy(MutableMapping):
    """``st.session_state`` over one ``SafeSessionState`` (what SessionStateProxy does)."""

    def __init__(self, safe):
        self.safe = safe

    def __getitem__(self, key):
        return self.safe[key]

    def __setitem__(self, key, value):
        self.safe[key] = value

    def __delitem__(self, key):
        del self.safe[key]

    def __contains__(self, key):
        return key in self.safe

    def __iter__(self):
        return iter(self.safe.filtered_state)

    def __len__(self):
        return len(self.safe.filtered_state)


@pytest.fixture
def session(monkeypatch):
    """A session whose rerun check raises the pending request (as the runner does at a yield
    point), and what the callbacks stored, applied and toasted."""
    pending: list[RerunData] = []

    def check():
        if pending:
            raise RerunException(pending.pop())

    safe = SafeSessionState(SessionState(), check)
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx",
                        lambda suppress_warning=False: SimpleNamespace(session_state=safe))
    monkeypatch.setattr(fields.st, "session_state", Proxy(safe))
    toasts: list[str] = []
    monkeypatch.setattr(fields.st, "toast", lambda text, **kw: toasts.append(text))
    store = {"width": 1.0}

    def apply(value):  # the next arrow key reaches the server while the edit is saved
        store["width"] = value
        pending.append(RerunData())

    return SimpleNamespace(safe=safe, pending=pending, store=store, apply=apply, toasts=toasts,
                           check=check)


def press(session, value, *, callback=fields.changed):
    """The slider ``w`` (drawn with 1.0 by the last run that drew it) now holds ``value``."""
    session.pending.clear()  # the runner took the request: this is its run
    session.safe["w"] = value
    callback("w", 1.0, float, session.apply, 1.0, lambda: session.store["width"])


def test_arrow_keys_whose_callbacks_a_newer_request_reaches_are_each_applied(session):
    """Three presses, each reaching the server while the previous press's edit is saved: each
    callback runs to its end (the request waits for it), so each press is applied, in order,
    though the slider was not drawn again between them; the check is back afterwards."""
    for value in (1.05, 1.1, 1.15):
        press(session, value)
        assert session.store["width"] == value
        assert session.pending  # the newer request still waits for the runner
        assert session.safe._yield_callback is session.check
    assert session.toasts == []


def test_without_whole_the_next_press_was_refused_as_stale(session):
    """The defect: the first callback stopped at its session write after the save (the edit
    kept, not noted as the slider's own), so the second press, checked against the value the
    slider was drawn with, was refused as made on an older version."""
    with pytest.raises(RerunException):
        press(session, 1.05, callback=fields.changed.__wrapped__)
    assert session.store["width"] == 1.05
    press(session, 1.1, callback=fields.changed.__wrapped__)
    assert session.store["width"] == 1.05  # refused: the press lost
    assert session.toasts == [fields.STALE]


def test_an_edit_on_a_value_changed_elsewhere_is_still_refused_with_its_toast(session):
    """Between two presses another tab (or an undo) stores 1.5: the press is refused, and its
    toast, kept while the callback runs, is shown as the run draws."""
    press(session, 1.05)
    session.store["width"] = 1.5
    press(session, 1.1)
    assert session.store["width"] == 1.5
    assert session.toasts == []  # not sent from the callback: that could stop it
    session.pending.clear()
    fields.begin_run()
    assert session.toasts == [fields.STALE]
    fields.begin_run()
    assert session.toasts == [fields.STALE]  # shown once


def test_a_refusal_whose_toast_a_newer_request_stops_is_shown_by_the_next_run(session,
                                                                              monkeypatch):
    fields.refuse("not applied")  # outside a callback: toasted at once
    assert session.toasts == ["not applied"]
    calls = []

    def toast(text, **kw):  # the first send finds a newer request: not sent
        calls.append(text)
        if len(calls) == 1:
            raise RerunException(RerunData())
        session.toasts.append(text)

    monkeypatch.setattr(fields.st, "toast", toast)
    with pytest.raises(RerunException):
        fields.refuse("again")
    assert session.toasts == ["not applied"]
    fields.show_refused()
    assert session.toasts == ["not applied", "again"]


def test_a_bare_call_outside_a_run_is_simply_called(monkeypatch):
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda suppress_warning=False: None)
    monkeypatch.setattr(fields.st, "session_state", {"k": "7"})
    applied = []
    fields.changed("k", "3", int, applied.append, 3, lambda: 3)
    assert applied == [7]


def test_a_toggle_s_callback_reads_its_value_though_a_newer_request_is_waiting(session):
    """The theme toggle's callback reads the toggle from the session: with a request waiting
    it used to stop at that read, and the choice was lost."""
    from layerloom.ui import theme

    chosen = []
    session.safe["dark"] = True
    session.pending.append(RerunData())
    theme._set(SimpleNamespace(set_theme=chosen.append), "dark")
    assert chosen == ["dark"]
    assert session.pending  # still waiting, for the runner


@pytest.mark.parametrize("module, name", [
    ("project_panel", "_apply_info"), ("project_panel", "_save_snapshot"),
    ("project_panel", "_switch"), ("project_panel", "_new_chosen"),
    ("project_panel", "_upload"), ("project_panel", "_upload_weights"),
    ("project_panel", "_open_snapshot"),
    ("theme", "_set"), ("pages.designer", "_set_view"), ("pages.export", "_picked"),
    ("fields", "changed"), ("fields", "_switch_expression"),
    # a problem picked from a list: the block selected and the list closed, both or neither
    ("status", "_show"), ("datafit", "_select")])
def test_callbacks_that_read_a_widget_from_the_session_run_whole(module, name):
    import importlib

    callback = getattr(importlib.import_module(f"layerloom.ui.{module}"), name)
    assert callback.__code__ is fields.whole(lambda: None).__code__, (module, name)
