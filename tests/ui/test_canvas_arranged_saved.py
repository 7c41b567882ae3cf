"""The places the canvas gives by itself to blocks that arrived over each other (a ``change``
marked ``arranged``) are saved at once, as a drag is, but as no undo step, only as places, and
only where nothing was saved since the canvas took the design: another tab's edit made
meanwhile stands, and nobody is told of a clash (ui/arranged.py; the browser side is
test_canvas_arranged_saved_1366_browser.py)."""

from __future__ import annotations

import copy

from layerloom.graph.templates import load_template
from layerloom.ui.arranged import handle_canvas_events
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _arranged(tab: DesignerState, seq: int, base: str, level: dict) -> bool:
    return handle_canvas_events(tab, {"events": [{"seq": seq, "event": "change", "base": base,
                                                  "graph": level, "selected": [],
                                                  "arranged": True}]})


def _moved(level: dict, node: str, place: list) -> dict:
    out = copy.deepcopy(level)
    next(n for n in out["nodes"] if n["id"] == node)["position"] = place
    return out


def _place(store: ProjectStore, pid: str, node: str) -> list:
    return store.load(pid).graph.node(node).position


def test_saved_at_once_as_no_undo_step_and_told_nothing(tmp_path):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    tab.take_notices()
    level = _moved(tab.level(), "pool1", [640, 480])
    # a param changed too: an arrangement moves blocks, nothing else is taken from it
    next(n for n in level["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] = 7
    assert _arranged(tab, 5, tab.canvas_version(), level)
    assert _place(store, tab.project_id, "pool1") == [640, 480]
    assert store.load(tab.project_id).graph.node("conv1").params["kernel_size"] == 3
    assert tab.undo_stack == [] and tab.redo_stack == []
    assert tab.take_notices() == []
    assert tab.last_seq == 5
    assert not _arranged(tab, 5, tab.canvas_version(), level)  # handled once


def test_an_edit_saved_since_stands_and_nobody_is_told(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    base, spread = b.canvas_version(), _moved(b.level(), "pool1", [640, 480])
    # A drags pool1 meanwhile; B's canvas had moved it apart on the design before
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": _moved(a.level(), "pool1", [100, 900]),
                                 "selected": []}]})
    b.catch_up()
    b.take_notices()
    assert _arranged(b, 2, base, spread)
    assert _place(store, a.project_id, "pool1") == [100, 900]  # A's drag stands
    assert b.take_notices() == [] and b.undo_stack == []
    assert [s.name for s in store.snapshots(a.project_id)] == []  # no clash kept anywhere


def test_an_ordinary_change_is_still_the_users_edit(tmp_path):
    tab = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    handle_canvas_events(tab, {"events": [{"seq": 1, "event": "change",
                                           "base": tab.canvas_version(), "selected": [],
                                           "graph": _moved(tab.level(), "pool1", [640, 480])}]})
    assert len(tab.undo_stack) == 1
