"""The variables panel and the composite block panels check every edit against the stored value,
as the inspector does: an edit made on an older version (the value changed since its widget was
drawn: an undo, another tab, a late callback after an interrupted rerun) is refused with a toast
and nothing is written; an edit of what is stored now applies. AppTest with the fake canvas."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import edit
from layerloom.ui import fields, savelog
from layerloom.ui.testing import app_test, widget


def on_disk(home, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def saves(home, pid: str) -> int:
    return len(savelog.read_log(home / "projects" / pid / "saves.jsonl"))


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_variable_edited_on_an_older_version_is_refused(app, home):
    pid = app.query_params["project"]
    state = app.session_state["layerloom"]
    assert on_disk(home, pid)["variables"]["classes"] == 10
    state.apply(edit.set_variable, "classes", 7)  # applied before the box's callback runs
    before, count = on_disk(home, pid), saves(home, pid)
    widget(app.number_input, "classes").set_value(12).run()  # drawn as 10
    assert not app.exception
    assert on_disk(home, pid) == before and saves(home, pid) == count
    assert [t.value for t in app.toast] == [fields.STALE]
    # the box now shows 7, and an edit of it applies
    assert widget(app.number_input, "classes").value == 7
    widget(app.number_input, "classes").set_value(12).run()
    assert on_disk(home, pid)["variables"]["classes"] == 12


def test_a_slider_moved_on_an_older_version_is_refused_and_its_default_never_written(app, home):
    pid = app.query_params["project"]
    state = app.session_state["layerloom"]
    slider = widget(app.slider, "width")
    assert slider.value == 1.0
    state.apply(edit.set_variable, "width", 0.5)
    before = on_disk(home, pid)
    slider.set_value(1.5).run()
    assert on_disk(home, pid) == before
    assert [t.value for t in app.toast] == [fields.STALE]
    # a re-created slider reports what it showed (its key names the value): nothing written
    slider = widget(app.slider, "width")
    assert slider.value == 0.5 and slider.proto.default == [0.5]
    count = saves(home, pid)
    slider.set_value(0.5).run()
    assert saves(home, pid) == count
    slider.set_value(0.75).run()
    assert on_disk(home, pid)["variables"]["width"] == 0.75


def resnet_mini(app):
    next(b for b in app.button if b.label == "New").click().run()
    next(s for s in app.selectbox if s.label == "Template").set_value("resnet-mini")
    next(b for b in app.button if b.label == "Create").click().run()
    assert not app.exception, app.exception
    return app.query_params["project"]


def block_description(app):
    return next(w for w in app.text_area if (w.key or "").startswith("block:"))


def test_a_block_default_or_name_edited_on_an_older_version_is_refused(app, home, canvas):
    pid = resnet_mini(app)
    state = app.session_state["layerloom"]
    use = next(n.id for n in state.graph.nodes if n.type == "BasicBlock")
    assert state.open_block(use)
    app.run()
    stride = widget(app.number_input, "stride")
    assert stride.value == 1
    state.apply(edit.set_block_param, "BasicBlock", "stride", 2)  # before the callback
    before, count = on_disk(home, pid), saves(home, pid)
    stride.set_value(3).run()
    assert on_disk(home, pid) == before and saves(home, pid) == count
    assert [t.value for t in app.toast] == [fields.STALE]
    widget(app.number_input, "stride").set_value(1).run()
    assert on_disk(home, pid)["blocks"]["BasicBlock"]["params"]["stride"] == 1

    # the block's name box: drawn "BasicBlock"; a rerun interrupted after a rename elsewhere
    # then fires it with the box's built-in default (empty): refused, the name kept
    name_box = widget(app.text_input, "Block name")
    assert name_box.value == "BasicBlock" and name_box.proto.default == "BasicBlock"
    state.apply(edit.set_info, description="changed elsewhere", block="BasicBlock")
    description = block_description(app)
    description.set_value("").run()  # drawn "", so nothing to write
    assert on_disk(home, pid)["blocks"]["BasicBlock"]["description"] == "changed elsewhere"
    assert block_description(app).value == "changed elsewhere"
    block_description(app).set_value("two 3x3 convolutions").run()
    assert on_disk(home, pid)["blocks"]["BasicBlock"]["description"] == "two 3x3 convolutions"
    widget(app.text_input, "Block name").set_value("Basic").run()
    graph = on_disk(home, pid)
    assert "Basic" in graph["blocks"] and "BasicBlock" not in graph["blocks"]


def test_a_composite_nodes_block_param_edited_on_an_older_version_is_refused(app, home, canvas):
    pid = resnet_mini(app)
    state = app.session_state["layerloom"]
    use = next(n for n in state.graph.nodes if n.type == "BasicBlock" and "stride" in n.params)
    canvas.send("select", selected=[use.id])
    app.run()
    box = widget(app.number_input, "stride")
    drawn = box.value
    state.apply(edit.set_param, (), use.id, "stride", drawn + 1)
    before = on_disk(home, pid)
    box.set_value(drawn + 2).run()
    assert on_disk(home, pid) == before
    assert [t.value for t in app.toast] == [fields.STALE]


def test_a_box_keeps_its_widget_after_its_own_edit_and_is_recreated_after_another(
        app, home, canvas):
    """Typing goes on in the box the user typed in: after their edit is stored, the next run
    draws the same widget (a re-created box would drop text typed before its Enter); a value
    changed by anything else is a new widget showing that value."""
    pid = app.query_params["project"]
    canvas.send("select", selected=["conv2"])
    app.run()
    box = widget(app.text_input, "kernel_size")
    first = box.key
    box.set_value("5").run()
    assert next(n for n in on_disk(home, pid)["nodes"] if n["id"] == "conv2")[
        "params"]["kernel_size"] == 5
    box = widget(app.text_input, "kernel_size")
    assert box.key == first and box.value == "5" and box.proto.default == "5"
    box.set_value("7").run()
    assert next(n for n in on_disk(home, pid)["nodes"] if n["id"] == "conv2")[
        "params"]["kernel_size"] == 7
    state = app.session_state["layerloom"]
    state.apply(edit.set_param, (), "conv2", "kernel_size", 3)  # an undo, another tab
    app.run()
    box = widget(app.text_input, "kernel_size")
    assert box.key != first and box.value == "3" and box.proto.default == "3"
