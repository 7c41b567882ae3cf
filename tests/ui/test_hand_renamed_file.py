"""The design file edited by hand while a tab shows the design (no save of the app, so the save
log tells no rename): a block renamed in its place (its id changed, its wires following) is the
block renamed, and the tab's next edit of it lands on it; a block deleted and another of its
type put on its wire elsewhere is a delete and a new block. The tab's edit of the deleted one
was laid on the new one, as renamed and moved: the value written by hand replaced (or, where
it was the old block's, changed without a word), or the new block deleted with the old. It is
not applied now: the file stays as edited by hand, the tab is told, and its version is kept
as a snapshot, as for an edit another tab's save does not take."""

from __future__ import annotations

import copy
import json

import pytest

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .test_tabs_replaced import with_dropout


def _hand_edit(store: ProjectStore, pid: str, change) -> dict:
    path = store.projects / pid / "graph.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))
    return data


def _replaced_by_dropout2(p: float):
    def change(data: dict) -> None:
        data["nodes"] = [n for n in data["nodes"] if n["id"] != "dropout1"] + [
            {"id": "dropout2", "type": "Dropout", "params": {"p": p}, "position": [300, 40]}]
        for e in data["edges"]:
            for end in ("source", "target"):
                if e[end] == "dropout1":
                    e[end] = "dropout2"
    return change


def _canvas_delete(tab: DesignerState) -> None:
    level = copy.deepcopy(tab.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "dropout1"]
    level["edges"] = [e for e in level["edges"] if "dropout1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "flat", "target": "fc"})
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": tab.canvas_version(),
                                   "graph": level, "selected": []}]})


@pytest.mark.parametrize("p", [0.25, 0.5])  # the hand's own p, or the one dropout1 had
def test_a_value_of_a_block_deleted_by_hand_is_not_laid_on_the_new_one_on_its_wire(tmp_path, p):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, with_dropout())
    pid = tab.project_id
    _hand_edit(store, pid, _replaced_by_dropout2(p))
    tab.apply(edit.set_param, (), "dropout1", "p", 0.375)
    saved = store.load(pid).graph
    assert saved.node("dropout2").params["p"] == p  # the file as edited by hand
    assert "dropout1" not in [n.id for n in saved.nodes]
    assert tab.graph.to_dict() == saved.to_dict()
    (notice,) = [n for n in tab.take_notices() if "not applied" in n.text]
    assert "graph.json" in notice.text and "changed outside LayerLoom" in notice.text
    assert "it changes dropout1, which the edit made outside LayerLoom removed" in notice.text
    kept = notice.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert store.load_snapshot(pid, snap.id).node("dropout1").params["p"] == 0.375


def test_a_delete_of_a_block_deleted_by_hand_leaves_the_new_one_on_its_wire(tmp_path):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, with_dropout())
    pid = tab.project_id
    _hand_edit(store, pid, _replaced_by_dropout2(0.5))
    _canvas_delete(tab)
    saved = store.load(pid).graph
    assert saved.node("dropout2").params["p"] == 0.5
    assert {(e.source, e.target) for e in saved.edges} >= {("flat", "dropout2"),
                                                           ("dropout2", "fc")}


def test_a_block_renamed_by_hand_in_its_place_takes_the_tabs_value(tmp_path):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, with_dropout())
    pid = tab.project_id

    def rename(data: dict) -> None:
        for n in data["nodes"]:
            if n["id"] == "dropout1":
                n["id"] = "drop"
        for e in data["edges"]:
            for end in ("source", "target"):
                if e[end] == "dropout1":
                    e[end] = "drop"

    _hand_edit(store, pid, rename)
    tab.apply(edit.set_param, (), "dropout1", "p", 0.375)
    saved = store.load(pid).graph
    assert saved.node("drop").params["p"] == 0.375
    assert "dropout1" not in [n.id for n in saved.nodes]
    assert tab.graph.to_dict() == saved.to_dict()
    (notice,) = tab.take_notices()
    assert notice.kind == "info" and "changed outside LayerLoom" in notice.text
    assert notice.details == ("renamed dropout1 → drop",)  # what changed there
    assert store.snapshots(pid) == []
