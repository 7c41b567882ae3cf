"""Tabs on one project: B deletes dropout1 (flat wired straight to fc), then C drops another
Dropout, dropout2, on that wire. D, its canvas or inspector still showing dropout1, deletes it
or sets its p. dropout2 holds the wires dropout1 had, so it was taken for dropout1 renamed and
moved: D's delete removed dropout2, which D never saw, nothing said, and D's p landed on
dropout2 over C's value. The save log tells a rename (one save removing one id and adding the
other) from a block deleted and another added by two saves. Found by the eight-tab mix (seed
415)."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.renames import node_renames
from layerloom.ui.state import DesignerState

from .test_tabs_replaced import with_dropout


def _change(tab: DesignerState, base: str, level: dict) -> None:
    """A canvas change made on version ``base``, handled after the page caught up."""
    tab.catch_up()
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": level,
                                   "selected": []}]})


def _without_dropout1(level: dict) -> dict:
    level = copy.deepcopy(level)
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "dropout1"]
    level["edges"] = [e for e in level["edges"] if "dropout1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "flat", "target": "fc"})
    return level


def _deleted_then_dropout2_put_on_its_wire(tmp_path):
    store = ProjectStore(tmp_path)
    b = DesignerState.new(store, with_dropout())
    pid = b.project_id
    c, d = DesignerState.open(store, pid), DesignerState.open(store, pid)
    shown, base = copy.deepcopy(d.level()), d.canvas_version()
    _change(b, b.canvas_version(), _without_dropout1(b.level()))
    c.catch_up()
    level = copy.deepcopy(c.level())
    level["edges"] = [e for e in level["edges"] if e["source"] != "flat"] + [
        {"source": "flat", "target": "dropout2"}, {"source": "dropout2", "target": "fc"}]
    level["nodes"].append({"id": "dropout2", "type": "Dropout", "params": {"p": 0.25},
                           "position": [300, 40]})
    _change(c, c.canvas_version(), level)
    assert store.load(pid).graph.node("dropout2").params["p"] == 0.25
    return store, pid, d, shown, base


def test_a_delete_of_a_block_gone_since_leaves_the_block_put_on_its_wire(tmp_path):
    store, pid, d, shown, base = _deleted_then_dropout2_put_on_its_wire(tmp_path)
    _change(d, base, _without_dropout1(shown))
    saved = store.load(pid).graph
    assert "dropout2" in [n.id for n in saved.nodes]
    assert saved.node("dropout2").params["p"] == 0.25
    assert {(e.source, e.target) for e in saved.edges} >= {("flat", "dropout2"),
                                                           ("dropout2", "fc")}


def test_a_value_set_on_a_block_gone_since_is_not_laid_on_the_block_put_on_its_wire(tmp_path):
    store, pid, d, _, _ = _deleted_then_dropout2_put_on_its_wire(tmp_path)
    d.apply(edit.set_param, (), "dropout1", "p", 0.375)  # a callback: made on what d showed
    assert store.load(pid).graph.node("dropout2").params["p"] == 0.25
    (notice,) = [n for n in d.take_notices() if "not applied" in n.text]
    assert "dropout1, which the other edit removed" in notice.text
    kept = notice.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert store.load_snapshot(pid, snap.id).node("dropout1").params["p"] == 0.375


def test_a_block_renamed_and_moved_is_told_only_where_one_save_renamed_it():
    before = {"nodes": [{"id": "x", "type": "Input", "position": [0, 0]},
                        {"id": "drop1", "type": "Dropout", "params": {"p": 0.5},
                         "position": [100, 0]},
                        {"id": "fc", "type": "Linear", "position": [200, 0]}],
              "edges": [{"source": "x", "target": "drop1"}, {"source": "drop1", "target": "fc"}]}
    now = {"nodes": [before["nodes"][0], before["nodes"][2],
                     {"id": "drop2", "type": "Dropout", "params": {"p": 0.25},
                      "position": [300, 40]}],
           "edges": [{"source": "x", "target": "drop2"}, {"source": "drop2", "target": "fc"}]}
    assert node_renames(before, now) == {"drop1": "drop2"}  # the log not known: its wires
    assert node_renames(before, now, logged=set()) == {}  # deleted, another added
    assert node_renames(before, now, logged={("drop1", "drop2")}) == {"drop1": "drop2"}


def test_a_value_of_a_block_deleted_since_is_told_removed_not_replaced_in_the_new_one(tmp_path):
    """D had set dropout1's p before B deleted it and C put dropout2 on its wire: D was told
    that dropout2.p, its 0.375, was replaced by C's 0.25, and offered to put it back there,
    on a block D never made nor saw."""
    store = ProjectStore(tmp_path)
    d = DesignerState.new(store, with_dropout())
    pid = d.project_id
    d.apply(edit.set_param, (), "dropout1", "p", 0.375)
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    _change(b, b.canvas_version(), _without_dropout1(b.level()))
    c.catch_up()
    level = copy.deepcopy(c.level())
    level["edges"] = [e for e in level["edges"] if e["source"] != "flat"] + [
        {"source": "flat", "target": "dropout2"}, {"source": "dropout2", "target": "fc"}]
    level["nodes"].append({"id": "dropout2", "type": "Dropout", "params": {"p": 0.25},
                           "position": [300, 40]})
    _change(c, c.canvas_version(), level)
    d.take_notices()
    assert d.catch_up()
    (told,) = [n for n in d.take_notices() if n.details]
    assert told.details == ("dropout1.p: your 0.375 was removed from another tab",)
    assert told.put_back == ()
    d.undo()  # the step that set dropout1's p has nothing left to take back
    assert store.load(pid).graph.node("dropout2").params["p"] == 0.25
