"""Undo and redo after another tab's save: a step that no longer fits the design saved (it
changes a block the other tab removed) is skipped alone, and said; the steps before it still
take back their own edits. Such a step was dropped together with every step before it, and
the user, pressing Undo, saw nothing happen and was told nothing."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _kernels(graph) -> dict:
    return {n.id: n.params.get("kernel_size") for n in graph.nodes if n.type == "Conv2d"}


def _delete_conv2(tab: DesignerState) -> None:
    """conv2 deleted on the tab's canvas, pool1 wired to relu2 in its place."""
    level = copy.deepcopy(tab.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "conv2"]
    level["edges"] = [e for e in level["edges"] if "conv2" not in (e["source"], e["target"])]
    level["edges"].append({"source": "pool1", "target": "relu2"})
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": tab.canvas_version(),
                                   "graph": level, "selected": []}]})
    assert not [n for n in tab.take_notices() if n.kind in ("warning", "error")]


def _two_edits(store: ProjectStore) -> DesignerState:
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    a.apply(edit.set_param, (), "conv2", "kernel_size", 7)
    return a


def _warnings(tab: DesignerState) -> list[str]:
    return [n.text for n in tab.take_notices() if n.kind == "warning"]


def test_an_undo_step_another_tab_ruled_out_is_skipped_alone_and_said(tmp_path):
    store = ProjectStore(tmp_path)
    a = _two_edits(store)
    _delete_conv2(DesignerState.open(store, a.project_id))
    a.catch_up()
    # one loss, one notice: this tab's value in conv2, removed with it, and the undo step
    # that set it, skipped (it only set that value), with one snapshot of this tab's version
    (told,) = _warnings(a)
    assert told.startswith("Another tab or window changed what this tab had set")
    assert told.endswith(" Undo skips your step that set conv2.kernel_size now: its block is "
                         "gone, so it has nothing left to take back.")
    (snap,) = store.snapshots(a.project_id)
    assert f"“{snap.name}”" in told
    assert _kernels(store.load_snapshot(a.project_id, snap.id)) == {"conv1": 5, "conv2": 7}

    assert len(a.undo_stack) == 1
    assert a.undo()  # the edit of conv1, taken back; the other tab's delete stays
    saved = store.load(a.project_id).graph
    assert _kernels(saved) == {"conv1": 3}
    assert ("pool1", "relu2") in {(e.source, e.target) for e in saved.edges}
    assert not a.undo_stack and _warnings(a) == []


def test_undo_steps_brought_back_to_a_project_are_kept_where_they_fit_and_said(tmp_path):
    """The tab left the project and came back after another tab's save (its history is laid
    over that save as it comes back)."""
    store = ProjectStore(tmp_path)
    a = _two_edits(store)
    first = a.project_id
    a = a.switch(DesignerState.new(store, load_template("lenet5")))
    _delete_conv2(DesignerState.open(store, first))
    a = a.switch(DesignerState.open(store, first))
    assert len(a.undo_stack) == 1
    assert [t.split(":")[0] for t in _warnings(a)] == ["Undo skips 1 of your 2 steps now"]
    assert a.undo()
    assert _kernels(store.load(first).graph) == {"conv1": 3}


def test_a_redo_step_another_tab_ruled_out_is_said(tmp_path):
    """Both edits undone; the other tab deletes conv2: redo of the conv2 edit no longer fits,
    redo of the conv1 edit still does."""
    store = ProjectStore(tmp_path)
    a = _two_edits(store)
    assert a.undo() and a.undo()
    _delete_conv2(DesignerState.open(store, a.project_id))
    a.catch_up()
    told = [t for t in _warnings(a) if t.startswith(("Undo", "Redo"))]
    assert [t.split(":")[0] for t in told] == ["Redo skips 1 of your 2 steps now"]
    assert "The design that step went to is kept as the snapshot “a redo step that no longer " \
        "fits, kept at " in told[0]
    assert a.redo()
    assert _kernels(store.load(a.project_id).graph) == {"conv1": 5}
    assert not a.redo_stack


def test_no_word_when_every_step_still_fits(tmp_path):
    store = ProjectStore(tmp_path)
    a = _two_edits(store)
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "fc", "bias", False)
    a.catch_up()
    assert _warnings(a) == [] and store.snapshots(a.project_id) == []
    assert a.undo() and a.undo()
    saved = store.load(a.project_id).graph
    assert _kernels(saved) == {"conv1": 3, "conv2": 3}
    assert saved.node("fc").params["bias"] is False


def test_the_designer_says_which_undo_steps_another_tabs_save_ruled_out(home, canvas):
    """The whole app (AppTest, a fake canvas): this tab moves conv2 and deletes relu1; another
    tab deletes pool1, which relu1 was wired to. The page says that Undo skips the delete, and
    Undo still moves conv2 back."""
    from layerloom.ui.testing import app_test, shown

    at = app_test()
    at.run()
    pid = at.query_params["project"]
    level = canvas.last["graph"]
    start = next(n for n in level["nodes"] if n["id"] == "conv2")["position"]
    next(n for n in level["nodes"] if n["id"] == "conv2")["position"] = [900, 900]
    canvas.send("change", level)
    at.run()
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    level["edges"] = [e for e in level["edges"] if "relu1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "conv1", "target": "pool1"})
    canvas.send("change", level)
    at.run()
    assert canvas.last["can_undo"] is True

    other = DesignerState.open(ProjectStore(), pid)  # another tab: pool1 deleted
    theirs = copy.deepcopy(other.level())
    theirs["nodes"] = [n for n in theirs["nodes"] if n["id"] != "pool1"]
    theirs["edges"] = [e for e in theirs["edges"] if "pool1" not in (e["source"], e["target"])]
    theirs["edges"].append({"source": "conv1", "target": "conv2"})
    other.handle_events({"events": [{"seq": 1, "event": "change",
                                     "base": other.canvas_version(), "graph": theirs,
                                     "selected": []}]})
    at.run()
    assert not at.exception
    said = [shown(w.value) for w in at.warning if "Undo skips" in shown(w.value)]
    assert len(said) == 1 and said[0].startswith(
        "Undo skips 1 of your 2 steps now: another tab or window changed this design since, "
        "and one step no longer fits the design saved (")
    assert "(Snapshots menu)" in said[0]
    canvas.send("undo")
    at.run()
    saved = ProjectStore().load(pid).graph
    assert saved.node("conv2").position == start
    assert "pool1" not in {n.id for n in saved.nodes} and "relu1" not in {n.id for n in saved.nodes}
