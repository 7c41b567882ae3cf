"""Two tabs on one design: one renames a block, the other, not showing that yet, groups it.
The block in the new group takes the new id, and the other tab's edits of it follow it. The
group held the block under its old id, told to both as 'both changes are kept': the rename was
gone, unsaid (found by the eight-tab mix, tests/ui/many_tabs.py, seed 87)."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _inner(graph, block: str) -> dict:
    return {n["id"]: n for n in graph.to_dict()["blocks"][block]["nodes"]}


def test_a_block_another_tab_renamed_keeps_its_new_id_in_the_group(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.apply(edit.rename_node, (), "conv1", "encoder")
    a.apply(edit.set_param, (), "encoder", "kernel_size", 5)
    assert b.group(["conv1", "relu1"]) == "block1"  # B still shows conv1
    saved = store.load(a.project_id).graph
    assert validate(saved).ok
    inner = _inner(saved, "Block")
    assert "conv1" not in inner and inner["encoder"]["params"]["kernel_size"] == 5
    assert {n.id for n in saved.nodes} >= {"block1"} and "encoder" not in {n.id for n in saved.nodes}
    assert not [n for n in b.take_notices() if n.kind in ("warning", "error")]
    assert b.undo()  # B's group taken back: encoder, as A named it, at the top again
    again = store.load(a.project_id).graph
    assert again.node("encoder").params["kernel_size"] == 5 and "Block" not in again.blocks


def test_inside_a_composite_block_too(tmp_path):
    """The same inside block1 (Block holds conv1 and relu1): A renames conv1 there, B, showing
    the block opened, groups it into a group inside the group."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    a.go_to(())
    a.save_view()
    b = DesignerState.open(store, a.project_id)
    assert a.open_block("block1") and b.open_block("block1")
    a.apply(edit.rename_node, a.path, "conv1", "encoder")
    a.apply(edit.set_param, a.path, "encoder", "kernel_size", 5)
    assert b.group(["conv1"]) == "block21"  # B still shows conv1
    saved = store.load(a.project_id).graph
    assert validate(saved).ok
    inner = _inner(saved, "Block2")
    assert "conv1" not in inner and inner["encoder"]["params"]["kernel_size"] == 5
    assert [n["type"] for n in saved.to_dict()["blocks"]["Block"]["nodes"]
            if n["id"] == "block21"] == ["Block2"]
    assert not [n for n in b.take_notices() if n.kind in ("warning", "error")]
