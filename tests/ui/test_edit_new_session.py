"""An edit typed into the inspector reaches a session that never drew its box: the server
restarted while the tab was open (or the tab was away until its session ended), and the
browser hands the new session its widgets' values with the first run. Streamlit calls no
callback for widgets a session has not drawn, so the box kept the value typed while the design
kept the old one, without a word. The edit is now applied as its callback would have applied
it; one typed over a value changed meanwhile is never taken for an edit of the new one. AppTest
with the fake canvas: a second AppTest is the new session, given the first one's widget
values."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY
from layerloom.ui.testing import app_test, widget


@pytest.fixture
def typed(home, canvas):
    """The first session, conv2 selected, with a label and a kernel_size typed and entered
    (their widget values, as the browser holds them), and the project's id."""
    at = app_test()
    at.run()
    canvas.send("select", selected=["conv2"])
    at.run()
    assert not at.exception, at.exception
    widget(at.text_input, "Label").set_value("wide")
    widget(at.text_input, "kernel_size").set_value("5")
    return at._tree.get_widget_states(), at.session_state[SESSION_KEY].project_id


def new_session(pid: str, browser_values):
    """The app's first run in a new session, with the values the browser still holds."""
    at = app_test()
    at.query_params["project"] = pid
    at._run(browser_values)
    assert not at.exception, at.exception
    return at


def test_an_edit_entered_as_the_server_restarted_is_applied_by_the_new_session(typed):
    browser_values, pid = typed
    at = new_session(pid, browser_values)
    conv2 = ProjectStore().load(pid).graph.node("conv2")
    assert (conv2.label, conv2.params["kernel_size"]) == ("wide", 5)  # were None and 3
    assert widget(at.text_input, "Label").value == "wide"  # the box shows what is saved
    assert widget(at.text_input, "kernel_size").value == "5"
    assert len(at.session_state[SESSION_KEY].undo_stack) == 2  # two edits, each undoable


def test_such_an_edit_made_on_a_value_changed_since_never_writes_over_it(typed):
    """The box of kernel_size showed 3 when 5 was typed; another tab has saved 7 since: the
    new session's box is another widget (its key names 7), so 5 is not taken for an edit of
    7, and the box shows 7, what is saved. The label, typed over the value still stored, is
    applied."""
    browser_values, pid = typed
    from layerloom.ui.state import DesignerState

    other = DesignerState.open(ProjectStore(), pid)  # another tab sets kernel_size meanwhile
    other.apply(edit.set_param, (), "conv2", "kernel_size", 7)
    at = new_session(pid, browser_values)
    conv2 = ProjectStore().load(pid).graph.node("conv2")
    assert conv2.params["kernel_size"] == 7  # the other tab's, never written over unseen
    assert conv2.label == "wide"  # the label was typed over the value still stored: applied
    assert widget(at.text_input, "kernel_size").value == "7"
