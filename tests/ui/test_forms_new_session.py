"""A form filled in and submitted across a server restart (the tab left open while the server
stopped and started again, or away until its session ended): the design's name and
description, and a snapshot's name. The browser hands the new session the form's values with
its first run, and Streamlit calls no ``on_click`` for a button that session has not drawn;
the forms were keyed by the revision too, which a new session counts from 0 again, so the
values typed reached no widget at all. The name typed was neither applied nor kept, without a
word. AppTest with the fake canvas: a second AppTest is the new session, given the first one's
widget values (as tests/ui/test_edit_new_session.py)."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY, DesignerState
from layerloom.ui.testing import app_test, widget


def first_session(canvas, edits: int = 1):
    """The first session after ``edits`` edits of its own (its revision is no longer 0)."""
    at = app_test()
    at.run()
    for i in range(edits):
        canvas.send("select", selected=["conv2"])
        at.run()
        widget(at.text_input, "Label").set_value(f"edit {i}").run()
    assert not at.exception, at.exception
    return at


def new_session(pid: str, browser_values):
    """The app's first run in a new session, with the values the browser holds."""
    at = app_test()
    at.query_params["project"] = pid
    at._run(browser_values)
    assert not at.exception, at.exception
    return at


def submit(at, label: str):
    """The form's submit button ``label`` pressed (not run: the browser's values to hand on)."""
    button = next(b for b in at.button if b.label == label)
    button.click()
    return at._tree.get_widget_states()


@pytest.fixture
def named(home, canvas):
    at = first_session(canvas)
    widget(at.text_input, "Design name").set_value("my cnn")
    widget(at.text_area, "Description").set_value("digits, small")
    return at, at.session_state[SESSION_KEY].project_id


def test_a_rename_submitted_as_the_server_restarted_is_applied(named):
    at, pid = named
    after = new_session(pid, submit(at, "Apply"))
    graph = ProjectStore().load(pid).graph
    assert (graph.name, graph.description) == ("my cnn", "digits, small")
    assert widget(after.text_input, "Design name").value == "my cnn"  # shows what is saved
    assert len(after.session_state[SESSION_KEY].undo_stack) == 1  # one edit, undoable


def test_a_rename_typed_over_a_name_changed_since_is_not_taken_for_an_edit_of_it(named):
    at, pid = named
    other = DesignerState.open(ProjectStore(), pid)  # another tab renames the design meanwhile
    other.apply(edit.set_info, name="theirs")
    after = new_session(pid, submit(at, "Apply"))
    assert ProjectStore().load(pid).graph.name == "theirs"
    assert widget(after.text_input, "Design name").value == "theirs"


def test_a_snapshot_named_as_the_server_restarted_is_saved_with_its_name(home, canvas):
    at = first_session(canvas)
    pid = at.session_state[SESSION_KEY].project_id
    widget(at.text_input, "Name").set_value("before the wider head")
    new_session(pid, submit(at, "Save"))
    assert [s.name for s in ProjectStore().snapshots(pid)] == ["before the wider head"]


def test_in_one_session_the_forms_are_taken_once(home, canvas):
    """The callback takes the submission; the run after it takes it no second time."""
    at = first_session(canvas)
    pid = at.session_state[SESSION_KEY].project_id
    widget(at.text_input, "Name").set_value("one")
    next(b for b in at.button if b.label == "Save").click().run()
    widget(at.text_input, "Design name").set_value("my cnn")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, at.exception
    assert [s.name for s in ProjectStore().snapshots(pid)] == ["one"]
    assert ProjectStore().load(pid).graph.name == "my cnn"
    assert len(at.session_state[SESSION_KEY].undo_stack) == 2  # the label, the name: once each


def test_a_variable_added_as_the_server_restarted_is_added(home, canvas):
    """The Add form of the variables was keyed by the revision: after an edit of the first
    session, the new session's form was another one, and the variable typed was lost."""
    at = first_session(canvas)
    pid = at.session_state[SESSION_KEY].project_id
    widget(at.text_input, "New variable").set_value("depth")
    widget(at.text_input, "Value").set_value("3")
    new_session(pid, submit(at, "Add"))
    assert ProjectStore().load(pid).graph.variables.get("depth") == 3


def test_a_group_named_as_the_server_restarted_is_made_with_its_name(home, canvas):
    at = first_session(canvas)
    canvas.send("select", selected=["conv1", "relu1"])
    at.run()
    pid = at.session_state[SESSION_KEY].project_id
    widget(at.text_input, "Block name").set_value("Stem")
    new_session(pid, submit(at, "Group as block"))
    assert "Stem" in ProjectStore().load(pid).graph.blocks


def test_a_block_param_added_as_the_server_restarted_is_added(home, canvas):
    """Inside a composite block, its Add form of params (keyed by the revision too)."""
    at = first_session(canvas, edits=0)
    canvas.send("group", selected=["conv1", "relu1"], ids=["conv1", "relu1"])
    at.run()
    state = at.session_state[SESSION_KEY]
    [use] = [n.id for n in state.graph.nodes if n.type in state.graph.blocks]
    canvas.send("open", selected=[], id=use)
    at.run()
    assert not at.exception, at.exception
    block = at.session_state[SESSION_KEY].path[-1]
    widget(at.text_input, "New param").set_value("channels")
    widget(at.text_input, "Default").set_value("64")
    pid = at.session_state[SESSION_KEY].project_id
    new_session(pid, submit(at, "Add"))
    assert ProjectStore().load(pid).graph.blocks[block].params.get("channels") == 64
