"""Two tabs on one project: another tab deletes a block this tab set a value of. This tab is
told once, with one snapshot keeping its version: the value removed, and that Undo skips the
step that set it (its block is gone). It was told twice, each with a snapshot of its own: the
value removed, and an undo step 'that no longer fits' with the design it went back to."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .test_tabs_replaced import p_of, with_dropout


def _delete_dropout(tab: DesignerState) -> None:
    """``tab`` deletes dropout1 on its canvas, flat wired straight to fc."""
    level = copy.deepcopy(tab.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "dropout1"]
    level["edges"] = [e for e in level["edges"] if "dropout1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "flat", "target": "fc"})
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": tab.canvas_version(),
                                   "graph": level, "selected": []}]})
    assert "dropout1" not in {n.id for n in tab.store.load(tab.project_id).graph.nodes}


def _one_notice_one_snapshot(store: ProjectStore, pid: str, b: DesignerState, before: set):
    notices = b.take_notices()
    assert len(notices) == 1, [n.text for n in notices]
    (notice,) = notices
    assert notice.kind == "warning"
    assert notice.details == ("dropout1.p: your 0.3 was removed from another tab",)
    assert "Undo skips your step that set dropout1.p now: its block is gone" in notice.text
    new = [s for s in store.snapshots(pid) if s.id not in before]
    kept = notice.text.split("“")[1].split("”")[0]
    assert [s.name for s in store.snapshots(pid) if s.name == kept]
    assert len(new) <= 1 and all(s.name == kept for s in new)
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert p_of(store.load_snapshot(pid, snap.id)) == 0.3  # what this tab made
    assert b.undo_stack == []  # nothing left to take back: Undo does nothing, said already


def test_a_block_deleted_by_a_tab_not_showing_the_edit_is_told_once(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    b.apply(edit.set_param, (), "dropout1", "p", 0.3)
    _delete_dropout(a)  # A's delete wins; B's version kept as a snapshot by A's save
    before = {s.id for s in store.snapshots(pid)}
    assert len(before) == 1
    assert b.catch_up()
    _one_notice_one_snapshot(store, pid, b, before)


def test_a_block_deleted_by_a_tab_showing_the_edit_is_told_once(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    b.apply(edit.set_param, (), "dropout1", "p", 0.3)
    a.catch_up()
    a.take_notices()
    _delete_dropout(a)
    assert store.snapshots(pid) == []
    assert b.catch_up()
    _one_notice_one_snapshot(store, pid, b, set())


def test_an_edit_laid_over_the_delete_unseen_is_told_once(tmp_path):
    """B's next edit, made before its page caught up with A's delete (a callback), is laid
    over it: B is told of its value removed once, with the one snapshot."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    b.apply(edit.set_param, (), "dropout1", "p", 0.3)
    a.catch_up()
    a.take_notices()
    _delete_dropout(a)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)  # laid over A's delete
    saved = store.load(pid).graph
    assert saved.node("conv1").params["kernel_size"] == 5
    assert "dropout1" not in {n.id for n in saved.nodes}
    notices = [n for n in b.take_notices() if n.kind != "note"]
    assert len(notices) == 1, [n.text for n in notices]
    assert notices[0].details == ("dropout1.p: your 0.3 was removed from another tab",)
    assert "Undo skips your step that set dropout1.p now" in notices[0].text
    assert len(store.snapshots(pid)) == 1
    assert b.undo() and store.load(pid).graph.node("conv1").params["kernel_size"] != 5
