"""A canvas change that no longer fits the design saved (another tab deleted the block it
moves, an undo took away a block it wires) is not applied, and kept: the design as that canvas
showed it, with the change, is a snapshot the toast names, which the user can open or put
back. The toast said 'make the change again' and kept it nowhere: the block the user dragged
went back to where it was, the drag lost."""

from __future__ import annotations

import copy

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import CANVAS_STALE, DesignerState


def _change(tab: DesignerState, seq: int, base: str, level: dict) -> None:
    tab.handle_events({"events": [{"seq": seq, "event": "change", "base": base, "graph": level,
                                   "selected": []}]})


def _kept(tab: DesignerState):
    """The one notice: the refusal's toast, naming the snapshot; that snapshot's design."""
    notices = tab.take_notices()
    assert [n.kind for n in notices] == ["toast"], [n.text for n in notices]
    text = notices[0].text
    assert text.startswith(CANVAS_STALE)
    assert "kept as the snapshot “" in text
    name = text.split("“")[1].split("”")[0]
    (snap,) = [s for s in tab.store.snapshots(tab.project_id) if s.name == name]
    return tab.store.load_snapshot(tab.project_id, snap.id)


def test_a_move_of_a_block_another_tab_deleted_is_kept_as_a_snapshot(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    base, moved = b.canvas_version(), copy.deepcopy(b.level())
    next(n for n in moved["nodes"] if n["id"] == "pool1")["position"] = [700, 700]
    level = copy.deepcopy(a.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "pool1"]
    level["edges"] = [e for e in level["edges"] if "pool1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "relu1", "target": "conv2"})
    _change(a, 1, a.canvas_version(), level)  # A deletes pool1
    b.catch_up()
    b.take_notices()
    on_disk = store.load(a.project_id).graph.to_dict()
    _change(b, 1, base, moved)
    assert store.load(a.project_id).graph.to_dict() == on_disk  # not applied
    kept = _kept(b)
    assert kept.node("pool1").position == [700, 700]  # B's drag, as B's canvas showed it
    assert b.undo_stack == []  # nothing was done: nothing to undo


def test_a_wire_to_a_block_an_undo_took_away_is_kept_as_a_snapshot(tmp_path):
    state = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    level = copy.deepcopy(state.level())
    level["nodes"].append({"id": "a", "type": "ReLU", "position": [900, 0]})
    _change(state, 1, state.canvas_version(), level)
    base = state.canvas_version()
    wired = copy.deepcopy(state.level())
    wired["nodes"].append({"id": "b", "type": "ReLU", "position": [900, 200]})
    wired["edges"].append({"source": "a", "target": "b"})
    state.undo()  # a is gone
    _change(state, 2, base, wired)
    assert state.node("a") is None and state.node("b") is None
    kept = _kept(state)
    assert {"a", "b"} <= {n.id for n in kept.nodes}
    assert ("a", "b") in {(e.source, e.target) for e in kept.edges}


def test_a_change_made_on_a_design_no_longer_remembered_keeps_the_level_sent(tmp_path):
    state = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    level = copy.deepcopy(state.level())
    level["nodes"].append({"id": "a", "type": "ReLU", "position": [900, 0]})
    _change(state, 1, state.canvas_version(), level)
    base = state.canvas_version()
    state.undo()
    state.designs.clear()  # made on a design no longer remembered
    added = copy.deepcopy(level)
    added["nodes"].append({"id": "c", "type": "ReLU", "position": [900, 300]})
    _change(state, 2, base, added)
    assert state.node("c") is None
    kept = _kept(state)
    assert {"a", "c"} <= {n.id for n in kept.nodes}
