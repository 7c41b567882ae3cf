"""Undo and redo outlive a visit to another project (AppTest, the whole app with a fake
canvas). A newcomer who deleted a block, looked at another design and came back found Undo
greyed out ("Nothing to undo in this session"): the history went with the project's state."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test


def node_ids(canvas) -> list[str]:
    return [n["id"] for n in canvas.last["graph"]["nodes"]]


def _switch(at, project_id: str) -> None:
    box = next(s for s in at.selectbox if s.label == "Project")
    box.set_value(project_id).run()
    assert not at.exception, at.exception
    assert at.query_params["project"] == project_id


def test_undo_and_redo_come_back_with_the_project(home, canvas):
    at = app_test()
    at.run()
    first = at.query_params["project"]
    other = ProjectStore().create(load_template("lenet5"))
    # delete relu1 on the canvas, then look at the other design
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    canvas.send("change", level)
    at.run()
    assert "relu1" not in node_ids(canvas) and canvas.last["can_undo"] is True
    _switch(at, other)
    assert canvas.last["can_undo"] is False  # the other project's own history: none
    _switch(at, first)
    assert "relu1" not in node_ids(canvas)
    assert canvas.last["can_undo"] is True
    canvas.send("undo")
    at.run()
    assert "relu1" in node_ids(canvas)
    assert "relu1" in [n.id for n in ProjectStore().load(first).graph.nodes]  # saved
    assert canvas.last["can_redo"] is True
    _switch(at, other)
    _switch(at, first)
    canvas.send("redo")
    at.run()
    assert "relu1" not in node_ids(canvas)
    assert "relu1" not in [n.id for n in ProjectStore().load(first).graph.nodes]


def test_a_save_made_meanwhile_elsewhere_is_kept_by_the_history_brought_back(home, canvas):
    """Another tab's edit while this tab was away: the undo brought back takes back only this
    tab's own step, over the other tab's save."""
    at = app_test()
    at.run()
    first = at.query_params["project"]
    other = ProjectStore().create(load_template("lenet5"))
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    canvas.send("change", level)
    at.run()
    _switch(at, other)
    store = ProjectStore()
    theirs = store.load(first).graph.copy()
    theirs.name = "renamed elsewhere"
    store.save(first, theirs)
    _switch(at, first)
    canvas.send("undo")
    at.run()
    saved = ProjectStore().load(first).graph
    assert "relu1" in [n.id for n in saved.nodes]
    assert saved.name == "renamed elsewhere"
