"""Tab A ungroups block1 (Block's definition left unused); tab B undoes its group of it (the
unused definition removed); A's Undo of its ungroup, laid over that, groups the blocks again.
The design used block1 of a Block no longer defined, what the block held gone with it, unsaid
(found by the eight-tab mix, tests/ui/many_tabs.py, seed 226). The definition A's step uses
is kept."""

from __future__ import annotations

import copy

from layerloom.graph import edit, load_graph, validate
from layerloom.graph.templates import load_template
from layerloom.ui.merge import merge_or_why
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_an_undo_that_groups_again_keeps_the_definition_it_uses():
    grouped, _ = edit.group(load_template("seed-cnn"), ["conv1", "relu1"])
    base = edit.ungroup(grouped, "block1")[0].to_dict()
    assert "Block" in base["blocks"]  # left unused
    theirs = copy.deepcopy(base)
    del theirs["blocks"]["Block"]  # the group undone there
    laid = merge_or_why(base, grouped.to_dict(), theirs, theirs_win=True)
    assert not isinstance(laid, str), laid
    design, _ = laid
    assert design["blocks"]["Block"] == grouped.to_dict()["blocks"]["Block"]
    assert validate(load_graph(design)).ok


def test_two_tabs_undoing_a_group_and_its_ungroup(tmp_path):
    store = ProjectStore(tmp_path)
    b = DesignerState.new(store, load_template("seed-cnn"))
    assert b.group(["conv1", "relu1"]) == "block1"
    a = DesignerState.open(store, b.project_id)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]
    assert b.catch_up() and b.undo()  # B's group taken back: the unused definition goes
    assert "Block" not in store.load(b.project_id).graph.blocks
    assert a.undo()  # A's ungroup taken back: grouped again
    saved = store.load(b.project_id).graph
    assert validate(saved).ok, [str(e) for e in validate(saved).errors]
    assert {n.id for n in saved.blocks["Block"].nodes} >= {"conv1", "relu1"}
