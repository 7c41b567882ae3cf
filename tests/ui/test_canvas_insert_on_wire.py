"""A block dropped from the palette onto a wire goes onto it: the canvas sends the whole insert
(the new block, the wire source -> target replaced by source -> new -> target, and the blocks
moved to make room) as ONE ``change`` event, which the designer applies, saves and merges with
another tab's save as one edit: one save, one undo step; laid over another tab's save in full,
or, where it does not join that save, not at all. The state without Streamlit (the browser side
is tests/ui/test_canvas_newcomer_1366_browser.py)."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _inserted(level: dict) -> dict:
    """What the canvas sends after BatchNorm2d was dropped on seed-cnn's wire conv1 -> relu1:
    the block added between them, relu1 moved right to make room."""
    out = copy.deepcopy(level)
    at = next(i for i, e in enumerate(out["edges"])
              if (e["source"], e["target"]) == ("conv1", "relu1"))
    out["edges"][at:at + 1] = [{"source": "conv1", "target": "batchnorm2d1"},
                               {"source": "batchnorm2d1", "target": "relu1"}]
    relu1 = next(n for n in out["nodes"] if n["id"] == "relu1")
    relu1["position"] = [relu1["position"][0] + 250, relu1["position"][1]]
    out["nodes"].append({"id": "batchnorm2d1", "type": "BatchNorm2d", "params": {},
                         "position": [440, -10]})
    return out


def _wires(graph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges}


def _ids(graph) -> set[str]:
    return {n.id for n in graph.nodes}


def _drop(state: DesignerState, base: str, seq: int = 1) -> None:
    state.handle_events({"events": [{"seq": seq, "event": "change", "base": base,
                                     "graph": _inserted(edit.get_level(state.graph, ())),
                                     "selected": ["batchnorm2d1"]}]})


def test_a_block_put_on_a_wire_is_one_edit_one_save_and_one_undo_step(tmp_path):
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    before = state.graph.to_dict()
    steps = len(state.undo_stack)
    _drop(state, state.canvas_version())

    assert state.node("batchnorm2d1").type == "BatchNorm2d"
    wires = _wires(state.graph)
    assert {("conv1", "batchnorm2d1"), ("batchnorm2d1", "relu1")} <= wires
    assert ("conv1", "relu1") not in wires
    assert state.selected == ["batchnorm2d1"]
    assert state.take_notices() == []
    saved = store.load(state.project_id).graph
    assert saved.to_dict() == state.graph.to_dict()
    # one save, of the canvas's edit of the level: the block, its wires and the move together
    log = store.save_log(state.project_id)
    assert [line["edit"]["source"] for line in log] == ["create", "canvas"]
    assert log[-1]["changes"] == ["edges", "nodes.batchnorm2d1+", "nodes.relu1.position"]
    assert len(state.undo_stack) == steps + 1

    assert state.undo()  # one step takes all of it back
    assert state.graph.to_dict() == before == store.load(state.project_id).graph.to_dict()
    assert state.redo()
    assert _wires(state.graph) == wires


def test_a_stale_tab_s_insert_is_laid_over_the_other_tab_s_save_whole(tmp_path):
    """Tab A sets conv2.out_channels; tab B, still showing the design before, puts a
    BatchNorm2d on conv1 -> relu1: the design saved has both, the insert in full, and B's undo
    takes back the insert alone."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "conv2", "out_channels", 48)
    _drop(b, b.canvas_version())

    saved = store.load(pid).graph
    assert saved.node("conv2").params["out_channels"] == 48  # A's edit stays
    assert "batchnorm2d1" in _ids(saved)
    assert {("conv1", "batchnorm2d1"), ("batchnorm2d1", "relu1")} <= _wires(saved)
    assert ("conv1", "relu1") not in _wires(saved)
    assert b.graph.to_dict() == saved.to_dict() and store.snapshots(pid) == []
    assert [line["edit"]["source"] for line in store.save_log(pid)] == \
        ["create", "inspector", "canvas"]

    assert b.undo()
    saved = store.load(pid).graph
    assert "batchnorm2d1" not in _ids(saved) and ("conv1", "relu1") in _wires(saved)
    assert saved.node("conv2").params["out_channels"] == 48


def test_an_insert_that_does_not_join_the_other_tab_s_save_is_refused_whole(tmp_path):
    """Tab A removed relu1 (the wire's target); tab B's insert onto conv1 -> relu1 cannot be
    laid over that: nothing of it is written (no block without its wires), B is told, and its
    version is kept as a snapshot."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    level = edit.get_level(a.graph, ())
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "selected": [], "graph": {
                                     "nodes": [n for n in level["nodes"] if n["id"] != "relu1"],
                                     "edges": [e for e in level["edges"]
                                               if "relu1" not in (e["source"], e["target"])]}}]})
    assert "relu1" not in _ids(store.load(pid).graph)
    on_disk = store.load(pid).graph.to_dict()
    _drop(b, b.canvas_version())

    assert store.load(pid).graph.to_dict() == on_disk == b.graph.to_dict()
    assert "batchnorm2d1" not in _ids(b.graph)
    assert [n.kind for n in b.take_notices()] == ["warning"]
    assert len(store.snapshots(pid)) == 1
    assert [line["edit"]["source"] for line in store.save_log(pid)] == ["create", "canvas"]
