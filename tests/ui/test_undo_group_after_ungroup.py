"""Two tabs on one design: B groups conv1 and relu1; A ungroups the group; B's Undo of its
group, laid over A's ungroup, brought the blocks out a second time: the design held conv1 and
relu1 and conv3 and relu3, pool1 fed by both ('pool1: MaxPool2d takes 1 input, but 2 are
connected'), unsaid. Both sides brought the same blocks out of the group, each placing them
its own way; they are now taken as the blocks they are."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_an_undo_of_a_group_another_tab_ungrouped_keeps_one_copy(tmp_path):
    store = ProjectStore(tmp_path)
    b = DesignerState.new(store, load_template("seed-cnn"))
    assert b.group(["conv1", "relu1"]) == "block1"
    a = DesignerState.open(store, b.project_id)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]
    ungrouped = store.load(b.project_id).graph.to_dict()
    assert b.undo()
    saved = store.load(b.project_id).graph
    assert [n.id for n in saved.nodes] == [n["id"] for n in ungrouped["nodes"]]
    assert validate(saved).ok
    assert "Block" not in saved.blocks  # the group undone: its definition goes
    # the blocks stand where the ungroup put them
    assert saved.to_dict()["nodes"] == ungrouped["nodes"]
