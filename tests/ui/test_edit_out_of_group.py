"""Two tabs on one design, one ungrouping a composite block while the other, showing the block
opened, sets a param of a block inside it: the param lands on that block as ungrouped. It
landed in the block's definition, which nothing used any more, the tab told 'both changes are
kept': the design computed the old value."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _grouped(store: ProjectStore) -> tuple[DesignerState, DesignerState]:
    """Tab A with conv1 and relu1 grouped (block1, of the block Block); tab B with the group
    opened."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1") and b.path == ("Block",)
    return a, b


def test_a_param_set_inside_a_group_another_tab_ungrouped_lands_on_its_block(tmp_path):
    store = ProjectStore(tmp_path)
    a, b = _grouped(store)
    assert a.apply(edit.ungroup, "block1")[1] == ["conv1", "relu1"]
    ungrouped = store.load(a.project_id).graph.to_dict()
    b.apply(edit.set_param, b.path, "conv1", "kernel_size", 7)
    # the only word: the block is closed here (it is not in the design any more)
    assert [n.text.split(":")[0] for n in b.take_notices() if n.kind in ("warning", "error")] \
        == ["The block block1 (Block) you had open is no longer in the design"]
    assert b.path == () and b.selected == ["conv1", "relu1"]
    saved = store.load(a.project_id).graph
    assert saved.node("conv1").params["kernel_size"] == 7 and validate(saved).ok
    # nothing else changed: the ungrouped design but for that param (the block left alone)
    again = saved.to_dict()
    next(n for n in again["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] = 3
    assert again == ungrouped
    assert b.undo()
    assert store.load(a.project_id).graph.to_dict() == ungrouped


def test_an_ungrouped_block_whose_id_was_taken_gets_the_param_too(tmp_path):
    """The block's conv1 came out as block1_conv1 (a conv1 stood beside the group)."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv2", "relu2"]) == "block1"
    assert a.apply(edit.rename_node, (), "conv1", "conv2") is not None  # conv2 taken outside
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1")
    assert a.apply(edit.ungroup, "block1")[1] == ["block1_conv2", "relu2"]
    b.apply(edit.set_param, b.path, "conv2", "kernel_size", 5)
    saved = store.load(a.project_id).graph
    assert saved.node("block1_conv2").params["kernel_size"] == 5
    assert saved.node("conv2").params["kernel_size"] == 3
    assert [n.text.split(":")[0] for n in b.take_notices() if n.kind in ("warning", "error")] \
        == ["The block block1 (Block) you had open is no longer in the design"]


def test_a_node_added_inside_a_group_another_tab_ungrouped_lands_beside_its_blocks(tmp_path):
    """It was refused and kept as a snapshot; now carried over (tests/ui/
    test_canvas_out_of_group.py has moves, removals, wires and the ports still refused)."""
    store = ProjectStore(tmp_path)
    a, b = _grouped(store)
    a.apply(edit.ungroup, "block1")
    level = b.level()
    level["nodes"].append({"id": "tanh1", "type": "Tanh", "position": [0, 300]})
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": b.canvas_version(),
                                 "graph": level, "selected": []}]})
    saved = store.load(a.project_id).graph
    assert saved.node("tanh1").type == "Tanh"
    assert not [n for n in b.take_notices() if "not applied" in n.text]
    assert store.snapshots(a.project_id) == []


def test_a_group_another_tab_ungrouped_is_closed_here_and_said(tmp_path):
    """B's next run after A's ungroup: B went on showing the block, which nothing used any
    more, and what B set there changed nothing the design computes."""
    store = ProjectStore(tmp_path)
    a, b = _grouped(store)
    a.apply(edit.ungroup, "block1")
    assert b.catch_up()
    assert b.path == () and b.selected == ["conv1", "relu1"]
    told = [n.text for n in b.take_notices() if n.kind == "warning"]
    assert told == ["The block block1 (Block) you had open is no longer in the design: another "
                    "tab or window ungrouped it. The canvas shows the design's top level now, "
                    "conv1, relu1 selected (what it held)."]
    b.apply(edit.set_param, b.path, "conv1", "kernel_size", 7)
    assert store.load(a.project_id).graph.node("conv1").params["kernel_size"] == 7


def test_a_group_another_tab_deleted_is_closed_here_and_said(tmp_path):
    store = ProjectStore(tmp_path)
    a, b = _grouped(store)
    level = a.level()
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "block1"]
    level["edges"] = [e for e in level["edges"] if "block1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "image", "target": "pool1"})
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": level, "selected": []}]})
    assert b.catch_up() and b.path == () and b.selected == []
    assert [n.text for n in b.take_notices() if n.kind == "warning"] == [
        "The block block1 (Block) you had open is no longer in the design: another tab or "
        "window deleted it. The canvas shows the design's top level now."]


def test_a_group_another_tab_renamed_stays_open_here(tmp_path):
    store = ProjectStore(tmp_path)
    a, b = _grouped(store)
    a.apply(edit.rename_node, (), "block1", "stem")
    assert b.catch_up()
    assert b.path == ("Block",) and b.uses == ("stem",)
    assert [n.text for n in b.take_notices() if n.kind == "warning"] == []
