"""Two tabs on one design: one shows a group opened, the other undoes that group (its
definition goes with it). The first tab's next run raised IndexError while catching up: the
page read 'LayerLoom cannot open its projects folder: tuple index out of range … restart', and
that run's catch-up stopped half-way, its undo and redo not laid over the other tab's save. It
now shows the level above with the group's blocks selected, and says why."""

from __future__ import annotations

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_a_tab_showing_a_group_another_tab_undid_shows_its_blocks(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "fc", "bias", False)
    assert a.group(["conv1", "relu1"]) == "block1"
    a.go_to(())
    a.save_view()  # a tab opens where the last one left the design: at the top
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert b.open_block("block1") and b.path == ("Block",)
    assert a.catch_up() and a.undo()  # the group undone: Block's definition gone too
    assert "Block" not in store.load(a.project_id).graph.blocks
    assert b.catch_up()
    assert b.path == () and b.uses == () and sorted(b.selected) == ["conv1", "relu1"]
    (told,) = b.take_notices()
    assert told.text.startswith("The block block1 (Block) you had open is no longer in the "
                                "design: another tab or window ungrouped it. The canvas shows "
                                "the design's top level now")
    # the catch-up went through: b's own step still undoes, on the design as saved now
    assert b.undo()
    saved = store.load(a.project_id).graph
    assert saved.node("conv2").params["kernel_size"] == 3
    assert "Block" not in saved.blocks and saved.node("fc").params["bias"] is False
