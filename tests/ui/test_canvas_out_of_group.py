"""Two tabs on one design, one ungrouping a composite block while the other, showing the block
opened on its canvas, moves, adds, removes or rewires a block inside it: the change is carried
over to the blocks as ungrouped. It was refused ('it changes what is inside the block Block,
which the other edit ungrouped') and only kept as a snapshot."""

from __future__ import annotations

import copy

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _ungrouped_under(store: ProjectStore) -> tuple[DesignerState, DesignerState, dict]:
    """Tab B shows block1 (conv1 and relu1 of seed-cnn grouped) opened; tab A ungroups it.
    Inside: x (Input) → conv1 → relu1 → out (Output); the group fed pool1."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1") and b.path == ("Block",)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]
    return a, b, store.load(a.project_id).graph.to_dict()


def _send(tab: DesignerState, level: dict) -> None:
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": tab.canvas_version(),
                                   "graph": level, "selected": []}]})


def _wires(graph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges}


def _refusals(tab: DesignerState) -> list[str]:
    return [n.text for n in tab.take_notices()
            if n.kind in ("warning", "error", "toast") and "not applied" in n.text]


def test_a_block_moved_inside_the_group_moves_as_ungrouped(tmp_path):
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _ungrouped_under(store)
    level = copy.deepcopy(b.level())
    next(n for n in level["nodes"] if n["id"] == "relu1")["position"] = [570, 90]  # +40, +60
    _send(b, level)
    assert _refusals(b) == []
    saved = store.load(a.project_id).graph
    assert saved.node("relu1").position == [685 + 40, 45 + 60]
    assert saved.node("conv1").position == [395, 15]
    assert not store.snapshots(a.project_id)


def test_a_block_put_between_two_inside_the_group_lands_between_them(tmp_path):
    """A Tanh dropped on the wire conv1 → relu1 inside the group."""
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _ungrouped_under(store)
    level = copy.deepcopy(b.level())
    level["nodes"].insert(2, {"id": "tanh1", "type": "Tanh", "position": [400, 100]})
    level["edges"] = [e for e in level["edges"] if (e["source"], e["target"])
                      != ("conv1", "relu1")]
    level["edges"] += [{"source": "conv1", "target": "tanh1"},
                       {"source": "tanh1", "target": "relu1"}]
    _send(b, level)
    assert _refusals(b) == []
    saved = store.load(a.project_id).graph
    assert saved.node("tanh1").type == "Tanh"
    assert saved.node("tanh1").position == [400 + 155, 100 + 15]  # beside conv1, as inside
    wires = _wires(saved)
    assert {("conv1", "tanh1"), ("tanh1", "relu1"), ("image", "conv1"),
            ("relu1", "pool1")} <= wires
    assert ("conv1", "relu1") not in wires
    assert validate(saved).ok and not validate(saved).warnings
    assert b.undo()  # the tab's own edit, taken back: the design A ungrouped
    assert store.load(a.project_id).graph.to_dict() == ungrouped


def test_a_block_removed_inside_the_group_is_removed_and_its_wires_follow(tmp_path):
    """relu1 deleted inside the group, conv1 wired to the group's Output: conv1 feeds pool1."""
    store = ProjectStore(tmp_path)
    a, b, _ = _ungrouped_under(store)
    level = copy.deepcopy(b.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    level["edges"] = [e for e in level["edges"] if "relu1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "conv1", "target": "out"})
    _send(b, level)
    assert _refusals(b) == []
    saved = store.load(a.project_id).graph
    assert "relu1" not in {n.id for n in saved.nodes}
    assert ("conv1", "pool1") in _wires(saved) and validate(saved).ok


def test_a_block_added_under_an_id_the_design_holds_gets_the_next_free_one(tmp_path):
    """conv2 is free inside the group, but the design has a conv2: the new one is conv3."""
    store = ProjectStore(tmp_path)
    a, b, _ = _ungrouped_under(store)
    level = copy.deepcopy(b.level())
    level["nodes"].append({"id": "conv2", "type": "Conv2d", "position": [240, 200],
                           "params": {"out_channels": 8, "kernel_size": 1}})
    level["edges"] = [e for e in level["edges"] if (e["source"], e["target"])
                      != ("relu1", "out")]
    level["edges"] += [{"source": "relu1", "target": "conv2"},
                       {"source": "conv2", "target": "out"}]
    _send(b, level)
    assert _refusals(b) == []
    saved = store.load(a.project_id).graph
    assert saved.node("conv3").params == {"out_channels": 8, "kernel_size": 1}
    assert saved.node("conv2").params["kernel_size"] == 3  # the design's own, untouched
    assert {("relu1", "conv3"), ("conv3", "pool1")} <= _wires(saved)


def test_a_change_of_the_group_s_ports_is_still_refused_and_kept(tmp_path):
    """A second Input added inside the group: the group's inputs are no longer in the design."""
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _ungrouped_under(store)
    level = copy.deepcopy(b.level())
    level["nodes"].append({"id": "x2", "type": "Input", "position": [0, 200]})
    _send(b, level)
    assert store.load(a.project_id).graph.to_dict() == ungrouped
    told = [n.text for n in b.take_notices() if n.kind == "warning"]
    assert any("it changes what is inside the block Block, which the other edit ungrouped"
               in t for t in told)
    assert len(store.snapshots(a.project_id)) == 1  # the tab's version, kept


def test_a_block_removed_inside_the_group_that_the_other_tab_changed_since_is_said(tmp_path):
    """A set relu1's label after ungrouping; B, still showing the group, deletes relu1 there:
    B's delete is laid, as at the top level, said as both changing relu1, A's version kept."""
    store = ProjectStore(tmp_path)
    a, b, _ = _ungrouped_under(store)
    a.apply(edit.update_node, (), "relu1", label="act")
    level = copy.deepcopy(b.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    level["edges"] = [e for e in level["edges"] if "relu1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "conv1", "target": "out"})
    _send(b, level)
    saved = store.load(a.project_id).graph
    assert "relu1" not in {n.id for n in saved.nodes}
    told = [n.text for n in b.take_notices() if n.kind == "warning"]
    assert any("relu1 (removed here, changed there)" in t for t in told)
    kept = [s for s in store.snapshots(a.project_id) if s.name.startswith("changed in another")]
    assert store.load_snapshot(a.project_id, kept[0].id).node("relu1").label == "act"
