"""Two tabs on one design, one renaming a block while the other edits it: the saved design has
the block under its new id with the other tab's edit, and each tab's undo still takes back its
own edit. A rename was merged as a node removed and another added: the other tab's value went
back, unsaid to it."""

from __future__ import annotations

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _on_disk(store, pid):
    graph = store.load(pid).graph
    return [n.id for n in graph.nodes], {n.id: n.params for n in graph.nodes}


def test_a_rename_in_one_tab_keeps_the_other_tabs_edit_of_that_block(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    a.apply(edit.rename_node, (), "conv1", "encoder")  # a's design still has kernel_size 3
    ids, params = _on_disk(store, a.project_id)
    assert ids[:3] == ["image", "encoder", "relu1"]  # in conv1's place, wired as it was
    assert params["encoder"]["kernel_size"] == 5
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]
    assert store.snapshots(a.project_id) == []  # nothing was overwritten: nothing to keep

    b.catch_up()
    assert not [n for n in b.take_notices() if n.kind in ("warning", "error")]
    assert b.node("encoder").params["kernel_size"] == 5
    assert b.undo()  # b's own edit, taken back on the block as renamed
    ids, params = _on_disk(store, a.project_id)
    assert "conv1" not in ids and params["encoder"]["kernel_size"] == 3


def test_an_edit_made_before_another_tabs_rename_lands_on_the_renamed_block(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.apply(edit.rename_node, (), "conv2", "features")
    b.apply(edit.set_param, (), "conv2", "out_channels", 48)  # b still shows conv2
    ids, params = _on_disk(store, a.project_id)
    assert "conv2" not in ids and params["features"]["out_channels"] == 48
    assert b.graph.to_dict() == store.load(a.project_id).graph.to_dict()


def test_a_composite_block_renamed_in_one_tab_keeps_the_other_tabs_edit_inside_it(tmp_path):
    """resnet-mini's Shortcut renamed ResBlock in tab A while tab B set the kernel_size of its
    conv: it was saved with the old kernel_size (B's edit gone, B told nothing)."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("resnet-mini"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, ("Shortcut",), "conv", "kernel_size", 5)
    a.apply(edit.rename_block, "Shortcut", "ResBlock")
    saved = store.load(a.project_id).graph
    assert list(saved.blocks) == ["ResBlock", "BasicBlock"]
    conv = next(n for n in saved.blocks["ResBlock"].nodes if n.id == "conv")
    assert conv.params["kernel_size"] == 5
    assert "Shortcut" not in {n.type for n in saved.blocks["BasicBlock"].nodes}
    assert "ResBlock" in {n.type for n in saved.blocks["BasicBlock"].nodes}
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]
    assert store.snapshots(a.project_id) == []
