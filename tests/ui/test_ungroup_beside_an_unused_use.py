"""Two tabs on one design whose block Block is used once, block1 at the top level, and once
more inside Block2, a definition nothing uses (block1 was grouped into it, then ungrouped).
C drops a Dropout inside Block; B, not showing it, ungroups block1. The use inside Block2,
which computes nothing, was counted: Block seemed used twice, the merge left C's Dropout in
Block's definition, unused once B's ungroup was saved, and nobody was told. The ungroup is
now laid over C's change as for a block used once: not applied, said, and kept as a
snapshot, C's Dropout still in the design. Found by the eight-tab mix (seed 1186)."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_an_ungroup_keeps_what_another_tab_added_in_the_group_used_once(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    assert a.group(["fc"]) == "block1"
    outer = a.group(["block1"])
    a.apply(edit.ungroup, outer, path=())
    design = store.load(pid).graph.to_dict()
    assert [n["id"] for n in design["blocks"]["Block2"]["nodes"] if n["type"] == "Block"] == [
        "block1"]  # Block2, used by nothing, still holds a use of Block
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    assert c.open_block("block1")
    level = copy.deepcopy(c.level())
    wire = next(e for e in level["edges"] if e["target"] == "fc")
    level["edges"] = [e for e in level["edges"] if e is not wire] + [
        {"source": wire["source"], "target": "drop"}, {"source": "drop", "target": "fc"}]
    level["nodes"].append({"id": "drop", "type": "Dropout", "params": {"p": 0.25},
                           "position": [100, 100]})
    c.handle_events({"events": [{"seq": 1, "event": "change", "base": c.canvas_version(),
                                 "graph": level, "selected": []}]})
    assert "drop" in [n["id"] for n in store.load(pid).graph.to_dict()["blocks"]["Block"]["nodes"]]
    b.apply(edit.ungroup, "block1", path=())  # made on the design without C's Dropout
    saved = store.load(pid).graph.to_dict()
    top = {n["id"]: n["type"] for n in saved["nodes"]}
    assert top.get("block1") == "Block"  # not ungrouped: C's Dropout is still computed
    assert "drop" in [n["id"] for n in saved["blocks"]["Block"]["nodes"]]
    (refused,) = [n for n in b.take_notices() if "was not applied" in n.text]
    assert "ungroups the block Block, inside which the other edit changed more" in refused.text
    kept = refused.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert "fc" in [n.id for n in store.load_snapshot(pid, snap.id).nodes]  # B's ungroup
