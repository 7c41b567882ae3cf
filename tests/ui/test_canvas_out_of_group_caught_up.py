"""Two tabs on one design, one ungrouping a composite block while the other, showing it opened
on its canvas, moves or adds a block inside it, as a browser runs it: the page of the tab whose
canvas sent the change catches up with the other tab's save first (every run does, before the
canvas's events), leaving the block, and then handles the change, which names the level it
left. The change is carried over to the blocks as ungrouped and said; it was refused with a
toast ('was not applied … make the change again') and kept nowhere, the block dragged put
back. The same for a group inside a group."""

from __future__ import annotations

import copy

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .test_canvas_out_of_group import _ungrouped_under
from .test_edit_out_of_nested_group import _inside, _nested


def _drag_then_run(tab: DesignerState, move: dict[str, tuple[int, int]], made_on: dict,
                   base: str) -> list:
    """The canvas's change (made on ``made_on``, version ``base``) handled in the run that
    catches up first, as ui/app.py runs them; the notices of that run."""
    level = copy.deepcopy(made_on)
    for node in level["nodes"]:
        if node["id"] in move:
            node["position"] = [node["position"][0] + move[node["id"]][0],
                                node["position"][1] + move[node["id"]][1]]
    assert tab.catch_up()
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": level,
                                   "selected": []}]})
    return tab.take_notices()


def test_a_block_moved_inside_a_group_ungrouped_as_the_page_caught_up_moves(tmp_path):
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _ungrouped_under(store)
    # b's canvas showed the block opened: what it sent was made on that level
    made_on, base = copy.deepcopy(b.level()), b.canvas_version()
    notices = _drag_then_run(b, {"conv1": (40, 10)}, made_on, base)
    saved = store.load(a.project_id).graph
    was = next(n for n in ungrouped["nodes"] if n["id"] == "conv1")["position"]
    assert saved.node("conv1").position == [was[0] + 40, was[1] + 10]
    assert validate(saved).ok
    assert not [n for n in notices if "not applied" in n.text]
    assert [n.text for n in notices if n.kind == "note"] == [
        "Your last change on the canvas, made inside the block Block another tab or window "
        "ungrouped meanwhile, is made on its blocks as ungrouped."]
    assert b.undo()  # one step, taken back
    assert store.load(a.project_id).graph.to_dict() == ungrouped


def test_a_block_moved_inside_a_nested_group_ungrouped_as_the_page_caught_up_moves(tmp_path):
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _nested(store)
    made_on, base = copy.deepcopy(b.level()), b.canvas_version()
    notices = _drag_then_run(b, {"conv1": (40, 10)}, made_on, base)
    saved = store.load(a.project_id).graph.to_dict()
    was = _inside(ungrouped, "Block", "conv1")["position"]
    assert _inside(saved, "Block", "conv1")["position"] == [was[0] + 40, was[1] + 10]
    assert saved["blocks"]["Block2"] == ungrouped["blocks"]["Block2"]
    assert not [n for n in notices if "not applied" in n.text]
    assert b.path == ("Block",)


def test_a_change_of_a_group_another_tab_deleted_is_still_refused(tmp_path):
    """Deleted, not ungrouped: its blocks are nowhere to carry the change to."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1")
    made_on, base = copy.deepcopy(b.level()), b.canvas_version()
    level = copy.deepcopy(a.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "block1"]
    level["edges"] = [e for e in level["edges"] if "block1" not in (e["source"], e["target"])]
    assert a.apply(edit.set_level, (), level) is not None
    deleted = store.load(a.project_id).graph.to_dict()
    notices = _drag_then_run(b, {"conv1": (40, 10)}, made_on, base)
    assert [n for n in notices if "not applied" in n.text]
    assert store.load(a.project_id).graph.to_dict() == deleted
