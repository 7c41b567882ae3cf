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
