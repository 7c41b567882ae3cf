"""Two tabs on one project: one renames a block, the other, its canvas not showing the rename
yet, deletes the block. The delete lands on the renamed block (as the other tab meant it), and
the tab that renamed it is told once which rename went with the block, with a snapshot that
keeps its version. It was told nothing of the block, only that Undo skips its step, with a
snapshot of the design before the rename: the new name was kept nowhere. Found by the
eight-tab mix (seed 181)."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .test_tabs_replaced import with_dropout


def _delete_on_stale_canvas(tab: DesignerState, base: str, level: dict) -> None:
    """``tab`` deletes dropout1 on a canvas showing ``level`` (version ``base``), flat wired
    straight to fc; its page catches up first, as a run does before it handles the canvas."""
    level = copy.deepcopy(level)
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "dropout1"]
    level["edges"] = [e for e in level["edges"] if "dropout1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "flat", "target": "fc"})
    tab.catch_up()
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": level,
                                   "selected": []}]})


def test_a_renamed_block_another_tab_deleted_unseen_is_told_with_a_snapshot(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    base, shown = b.canvas_version(), copy.deepcopy(b.level())
    a.apply(edit.rename_node, (), "dropout1", "drop")
    _delete_on_stale_canvas(b, base, shown)
    saved = store.load(pid).graph
    assert {"dropout1", "drop"}.isdisjoint(n.id for n in saved.nodes)  # the delete landed

    assert a.catch_up()
    notices = a.take_notices()
    assert len(notices) == 1, [n.text for n in notices]
    (notice,) = notices
    assert notice.kind == "warning"
    assert notice.details == ("drop: your rename of dropout1 to drop was removed with the "
                              "block from another tab",)
    assert "Undo skips your step that renamed dropout1 to drop now: its block is gone" \
        in notice.text
    kept = notice.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert "drop" in {n.id for n in store.load_snapshot(pid, snap.id).nodes}
    assert len(store.snapshots(pid)) == 1
    assert a.undo_stack == []  # nothing left to take back: said already
    assert not a.catch_up()  # told once


def test_an_edit_laid_over_the_delete_unseen_tells_the_rename_removed(tmp_path):
    """A's next edit, made before its page caught up with B's delete (a callback), is laid
    over it: A is told of its rename removed once, with a snapshot holding the block."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    base, shown = b.canvas_version(), copy.deepcopy(b.level())
    a.apply(edit.rename_node, (), "dropout1", "drop")
    _delete_on_stale_canvas(b, base, shown)
    a.apply(edit.set_param, (), "conv1", "kernel_size", 5)  # laid over B's delete
    saved = store.load(pid).graph
    assert saved.node("conv1").params["kernel_size"] == 5
    assert {"dropout1", "drop"}.isdisjoint(n.id for n in saved.nodes)
    notices = [n for n in a.take_notices() if n.kind != "note"]
    assert len(notices) == 1, [n.text for n in notices]
    assert notices[0].details == ("drop: your rename of dropout1 to drop was removed with "
                                  "the block from another tab",)
    kept = notices[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert "drop" in {n.id for n in store.load_snapshot(pid, snap.id).nodes}
    assert a.undo() and store.load(pid).graph.node("conv1").params["kernel_size"] != 5


def test_a_block_renamed_in_a_group_then_ungrouped_and_deleted_is_told(tmp_path):
    """A renames dropout1 drop inside block1 (Block) and sets its p; B ungroups block1 and
    deletes drop. Block's definition stays, used by nothing, still holding drop: A was told
    nothing, its rename and value taken for still in the design. What the design computes is
    what counts: A is told both went with the block, and which snapshot keeps them. Found by
    the eight-tab mix (seed 1935)."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    assert a.group(["dropout1"]) == "block1"
    assert a.open_block("block1")
    a.apply(edit.rename_node, a.path, "dropout1", "drop")
    a.apply(edit.set_param, a.path, "drop", "p", 0.375)
    b = DesignerState.open(store, pid)
    b.go_to(())
    b.apply(edit.ungroup, "block1", path=())
    level = copy.deepcopy(b.level())
    ins = [e for e in level["edges"] if e["target"] == "drop"]
    outs = [e for e in level["edges"] if e["source"] == "drop"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "drop"]
    level["edges"] = [e for e in level["edges"] if "drop" not in (e["source"], e["target"])] + [
        {"source": ins[0]["source"], "target": outs[0]["target"]}]
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": b.canvas_version(),
                                 "graph": level, "selected": []}]})
    saved = store.load(pid).graph
    assert "drop" not in [n.id for n in saved.nodes]
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [sorted(n.details) for n in told] == [sorted((
        "Block/drop.p: your 0.375 was removed from another tab",
        "Block/drop: your rename of dropout1 to drop was removed with the block from "
        "another tab"))]
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = store.load_snapshot(pid, next(s for s in store.snapshots(pid) if s.name == kept).id)
    assert snap.node("block1").type == "Block"  # in what the snapshot computes
    assert [n["params"]["p"] for n in snap.to_dict()["blocks"]["Block"]["nodes"]
            if n["id"] == "drop"] == [0.375]
