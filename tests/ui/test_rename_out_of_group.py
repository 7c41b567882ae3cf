"""Two tabs on one design: tab A ungroups block1 and labels conv1, now in the design itself;
tab B, still showing the group opened, renames conv1 there. The rename lands on conv1 as
ungrouped, A's label kept. It was carried as a block removed and one added: conv1 went, A's
label with it (B told 'both changed conv1', the other version kept), enc came without it."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_a_block_renamed_inside_a_group_another_tab_ungrouped_keeps_its_label(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1") and b.path == ("Block",)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]
    a.apply(edit.update_node, (), "conv1", label="first conv")
    b.apply(edit.rename_node, b.path, "conv1", "enc")
    saved = store.load(a.project_id).graph
    assert validate(saved).ok
    assert "conv1" not in {n.id for n in saved.nodes}
    assert saved.node("enc").label == "first conv"
    assert not [n for n in b.take_notices() if "both changed" in n.text]
    assert store.snapshots(a.project_id) == []
