"""Two tabs on one design: one tab sets a param inside a composite block, the other, not yet
showing that, ungroups the block (or undoes the group). The param lands on the block as
ungrouped. It stayed in the block's definition, which nothing used any more: the design
computed the old value, the ungrouping tab told 'both changes are kept' and the other nothing."""

from __future__ import annotations

import copy

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _kernels(graph) -> dict:
    return {n.id: n.params.get("kernel_size") for n in graph.nodes if n.type == "Conv2d"}


def _grouped(store: ProjectStore) -> tuple[DesignerState, DesignerState]:
    """Tab A with conv1 and relu1 grouped (block1, of the block Block); tab B, with the group
    opened, sets conv1's kernel_size to 5 there."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1")
    b.apply(edit.set_param, b.path, "conv1", "kernel_size", 5)
    return a, b


def test_a_param_set_inside_a_group_this_tab_then_ungroups_lands_on_its_block(tmp_path):
    store = ProjectStore(tmp_path)
    a, _ = _grouped(store)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]  # A had not seen B's edit
    saved = store.load(a.project_id).graph
    assert _kernels(saved) == {"conv1": 5, "conv2": 3}
    assert "block1" not in {n.id for n in saved.nodes} and validate(saved).ok
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]


def test_undo_of_the_group_keeps_the_param_the_other_tab_set_inside(tmp_path):
    store = ProjectStore(tmp_path)
    a, _ = _grouped(store)
    a.catch_up()
    a.take_notices()
    assert a.undo()
    saved = store.load(a.project_id).graph
    assert _kernels(saved) == {"conv1": 5, "conv2": 3}
    assert {"conv1", "relu1"} <= {n.id for n in saved.nodes} and validate(saved).ok


def test_a_block_added_inside_a_group_this_tab_then_ungroups_is_not_lost(tmp_path):
    """B dropped a Tanh inside the group: A's ungroup does not join it (refused, said, A's
    version kept as a snapshot); B's block stays in the design."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.group(["conv1", "relu1"])
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1")
    level = copy.deepcopy(b.level())
    level["nodes"].append({"id": "tanh1", "type": "Tanh", "position": [300, 200]})
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": b.canvas_version(),
                                 "graph": level, "selected": []}]})
    theirs = store.load(a.project_id).graph.to_dict()
    assert a.apply(edit.ungroup, "block1") is None
    assert store.load(a.project_id).graph.to_dict() == theirs
    told = [n.text for n in a.take_notices() if n.kind == "warning"]
    assert any("it ungroups the block Block, inside which the other edit changed more than "
               "its blocks' params" in t for t in told)
    assert [s for s in store.snapshots(a.project_id)
            if s.name.startswith("this tab's edit, not applied")]


def test_a_param_set_on_a_block_this_tab_then_groups_lands_inside_the_group(tmp_path):
    """B sets conv1's kernel_size; A, not yet showing it, groups conv1 and relu1: the group
    holds B's 5. A's group removed conv1 with B's value ('both changed conv1', B's version
    only kept as a snapshot), B told nothing."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    assert a.group(["conv1", "relu1"]) == "block1"
    saved = store.load(a.project_id).graph
    inner = {n.id: n.params.get("kernel_size") for n in saved.blocks["Block"].nodes}
    assert inner["conv1"] == 5 and validate(saved).ok
    assert not [n for n in a.take_notices() if n.kind == "warning"]
    assert store.snapshots(a.project_id) == []


def test_undo_of_an_ungroup_keeps_the_param_the_other_tab_set_on_its_block(tmp_path):
    """A grouped and ungrouped conv1 and relu1; B set conv1's kernel_size; A's Undo of the
    ungroup groups them again with B's 5 inside. It was skipped ('it removes conv1, which the
    other tab changed since')."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.group(["conv1", "relu1"])
    a.apply(edit.ungroup, "block1")
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    a.catch_up()
    assert not [n for n in a.take_notices() if n.kind == "warning"]
    assert a.undo()
    saved = store.load(a.project_id).graph
    assert "block1" in {n.id for n in saved.nodes} and validate(saved).ok
    assert {n.id: n.params.get("kernel_size") for n in saved.blocks["Block"].nodes}["conv1"] == 5
