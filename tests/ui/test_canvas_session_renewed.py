"""A canvas change the browser queued under a session that is gone (the server restarted while
the tab was open, or the tab was away until its session ended) reaches a new session, whose
revisions count from 0 again. It must not pass for a change made on the new session's design:
its canvas lacked what other tabs saved meanwhile, and laying its level over the design removed
their blocks without a word. It is refused, said, and the canvas's version kept as a snapshot.
The state without Streamlit (a new :class:`DesignerState` is what a new session opens)."""

from __future__ import annotations

import copy

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def ids(graph) -> set[str]:
    return {n.id for n in graph.nodes}


def _drop(state: DesignerState, level: dict, node: dict, base: str, seq: int) -> None:
    level = copy.deepcopy(level)
    level["nodes"].append(node)
    state.handle_event({"seq": seq, "event": "change", "graph": level, "base": base,
                        "selected": []})


def test_a_change_queued_before_the_server_restarted_keeps_what_other_tabs_saved(tmp_path):
    store = ProjectStore(tmp_path)
    before = DesignerState.new(store, load_template("seed-cnn"))  # the tab, as first served
    pid, level, base = before.project_id, before.level(), before.canvas_version()
    other = DesignerState.open(store, pid)  # another tab drops a block, saved
    _drop(other, other.level(), {"id": "theirs", "type": "Dropout", "position": [0, 700]},
          other.canvas_version(), seq=1)
    assert "theirs" in ids(store.load(pid).graph)

    # the server restarts; the tab's new session opens the project at its revision 0, and the
    # canvas hands over the change it had queued (made on what it showed: no "theirs")
    after = DesignerState.open(store, pid)
    _drop(after, level, {"id": "mine", "type": "ReLU", "position": [300, 700]}, base,
          seq=1_765_000_000_000)
    saved = store.load(pid).graph
    assert "theirs" in ids(saved)  # it was removed, without a notice
    assert "mine" not in ids(saved) and after.graph.to_dict() == saved.to_dict()
    [notice] = after.take_notices()
    assert notice.kind == "warning" and notice.text.startswith(
        "Your last change on the canvas was not applied: it was made before this page's "
        "connection to the server was renewed")
    [snap] = store.snapshots(pid)
    assert f"kept as the snapshot “{snap.name}”" in notice.text
    kept = store.load_snapshot(pid, snap.id)
    assert "mine" in ids(kept)  # the user's change is kept


def test_the_same_session_still_applies_its_canvas_changes(tmp_path):
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    _drop(state, state.level(), {"id": "mine", "type": "ReLU", "position": [300, 700]},
          state.canvas_version(), seq=1)
    assert "mine" in ids(store.load(state.project_id).graph)
    assert state.take_notices() == [] and store.snapshots(state.project_id) == []


def test_the_first_change_after_a_restart_on_the_design_saved_is_applied(tmp_path):
    """Nothing changed the design while the server was down: the change the canvas makes on
    it (its base names the session that is gone, as the canvas keeps the graph it took until
    Python answers) lands, with no warning and no snapshot. It was refused as if another tab
    had changed the design meanwhile, so the user's first edit after a restart never landed."""
    store = ProjectStore(tmp_path)
    before = DesignerState.new(store, load_template("seed-cnn"))
    pid, level, base = before.project_id, before.level(), before.canvas_version()

    after = DesignerState.open(store, pid)  # the new session, the design as saved
    _drop(after, level, {"id": "mine", "type": "ReLU", "position": [300, 700]}, base,
          seq=1_765_000_000_000)
    assert "mine" in ids(store.load(pid).graph)
    assert after.take_notices() == [] and store.snapshots(pid) == []
    # the canvas's next change, still on that base (it holds the first), lands too
    level = copy.deepcopy(level)
    level["nodes"].append({"id": "mine", "type": "ReLU", "position": [300, 700]})
    _drop(after, level, {"id": "also", "type": "Tanh", "position": [300, 800]}, base,
          seq=1_765_000_000_001)
    assert {"mine", "also"} <= ids(store.load(pid).graph)
    assert after.take_notices() == [] and store.snapshots(pid) == []


def test_a_change_of_a_gone_session_is_never_taken_for_one_of_another_project(tmp_path):
    """The digest says which level a change was made on, never which project: a base naming
    another project (or level) with the same design is still not applied here."""
    store = ProjectStore(tmp_path)
    one = DesignerState.new(store, load_template("seed-cnn"))
    two = DesignerState.new(store, load_template("seed-cnn"))  # the same design, another project
    base = one.canvas_version()
    _drop(two, two.level(), {"id": "mine", "type": "ReLU", "position": [300, 700]}, base,
          seq=1_765_000_000_000)
    assert "mine" not in ids(store.load(two.project_id).graph)


def _change(level: dict, node: dict, base: str, seq: int, made_on: dict | None) -> dict:
    level = copy.deepcopy(level)
    level["nodes"].append(node)
    event = {"seq": seq, "event": "change", "graph": level, "base": base, "selected": [],
             "baseSeq": 1_764_000_000_000}  # the last seq the canvas had sent when it took base
    if made_on is not None:
        event["baseGraph"] = copy.deepcopy(made_on)
    return event


def test_a_change_of_a_gone_session_sent_with_its_base_is_laid_over_what_was_saved(tmp_path):
    """The canvas sends the level its change was made on (``baseGraph``) with the change: the
    change made before the restart lands over another tab's save since (both blocks kept,
    the other tab's param too), with no warning and no snapshot. It was refused and only kept
    as a snapshot. The canvas's next change, on the same base, lands too."""
    from layerloom.graph import edit

    store = ProjectStore(tmp_path)
    before = DesignerState.new(store, load_template("seed-cnn"))
    pid, level, base = before.project_id, copy.deepcopy(before.level()), before.canvas_version()
    other = DesignerState.open(store, pid)
    _drop(other, other.level(), {"id": "theirs", "type": "Dropout", "position": [0, 700]},
          other.canvas_version(), seq=1)
    other.apply(edit.set_param, (), "conv1", "kernel_size", 5)

    after = DesignerState.open(store, pid)
    mine = {"id": "mine", "type": "ReLU", "position": [300, 700]}
    moved = copy.deepcopy(level)  # and conv2 moved, in the same change
    next(n for n in moved["nodes"] if n["id"] == "conv2")["position"] = [600, 600]
    after.handle_event(_change(moved, mine, base, 1_765_000_000_000, level))
    saved = store.load(pid).graph
    assert {"theirs", "mine"} <= ids(saved)
    assert saved.node("conv2").position == [600, 600]
    assert saved.node("conv1").params["kernel_size"] == 5
    assert after.take_notices() == [] and store.snapshots(pid) == []
    assert after.graph.to_dict() == saved.to_dict()

    moved["nodes"].append(mine)  # the canvas's next change holds its first
    after.handle_event(_change(moved, {"id": "also", "type": "Tanh", "position": [300, 800]},
                               base, 1_765_000_000_001, level))
    saved = store.load(pid).graph
    assert {"theirs", "mine", "also"} <= ids(saved)
    assert after.take_notices() == [] and store.snapshots(pid) == []
    assert after.undo()  # one undo step each
    assert "also" not in ids(store.load(pid).graph)


def test_a_base_sent_that_is_not_the_one_named_is_not_trusted(tmp_path):
    """A level sent as the base that is not the one the base's digest names (a block more or
    less): the change is refused and kept, as one without a base is."""
    store = ProjectStore(tmp_path)
    before = DesignerState.new(store, load_template("seed-cnn"))
    pid, level, base = before.project_id, copy.deepcopy(before.level()), before.canvas_version()
    other = DesignerState.open(store, pid)
    _drop(other, other.level(), {"id": "theirs", "type": "Dropout", "position": [0, 700]},
          other.canvas_version(), seq=1)
    forged = copy.deepcopy(other.level())  # "theirs" in the base: the change would remove it
    after = DesignerState.open(store, pid)
    after.handle_event(_change(level, {"id": "mine", "type": "ReLU", "position": [300, 700]},
                               base, 1_765_000_000_000, forged))
    saved = store.load(pid).graph
    assert "theirs" in ids(saved) and "mine" not in ids(saved)
    [notice] = after.take_notices()
    assert notice.kind == "warning" and "was not applied" in notice.text
    assert len(store.snapshots(pid)) == 1


def test_the_level_sent_back_is_known_as_javascript_reads_it():
    """The canvas reads 2.0 as 2 and sends it back so: the level it sends as its base is still
    the one its version names."""
    import json

    from layerloom.ui.state import _level_digest

    level = {"nodes": [{"id": "s", "type": "Scale", "params": {"init": 2.0, "eps": 0.5},
                        "position": [10.0, 20.5]}], "edges": []}
    back = json.loads(json.dumps(level).replace("2.0", "2").replace("10.0", "10"))
    assert json.dumps(back) != json.dumps(level)  # 2 for 2.0: not the same text
    assert _level_digest(back) == _level_digest(level)
    assert _level_digest({**level, "edges": [{"source": "s", "target": "s"}]}) != \
        _level_digest(level)
