"""Two tabs on one design, one grouping blocks into a composite block while the other, still
showing them, sets a param of one: the param lands on the block inside the group. It was
refused as 'it changes conv1, which the other edit removed', and only kept as a snapshot."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _inner(graph, block: str, nid: str):
    return next(n for n in graph.blocks[block].nodes if n.id == nid)


def test_a_param_set_on_a_block_another_tab_grouped_lands_inside_the_group(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    assert a.group(["conv1", "relu1"]) == "block1"
    grouped = store.load(a.project_id).graph.to_dict()
    b.apply(edit.set_param, (), "conv1", "kernel_size", 7)
    assert [n.text for n in b.take_notices() if n.kind in ("warning", "error")] == []
    assert store.snapshots(a.project_id) == []
    saved = store.load(a.project_id).graph
    assert _inner(saved, "Block", "conv1").params["kernel_size"] == 7
    assert "conv1" not in {n.id for n in saved.nodes} and validate(saved).ok
    # nothing else changed: the group as the other tab made it, but for that param
    again = saved.to_dict()
    next(n for n in again["blocks"]["Block"]["nodes"]
         if n["id"] == "conv1")["params"]["kernel_size"] = 3
    assert again == grouped
    assert b.graph.to_dict() == saved.to_dict()
    assert b.undo()  # b's own edit, taken back inside the group
    back = store.load(a.project_id).graph
    assert back.to_dict() == grouped


def test_a_param_the_group_made_its_own_is_refused_and_said(tmp_path):
    """The other tab grouped conv1 with its kernel_size made the block's param (``=kernel``
    inside): the value set on conv1 cannot go there unsaid. It is refused, the reason names
    the group, and the tab's version is kept."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    assert a.group(["conv1", "relu1"], promote=[("conv1", "kernel_size")]) == "block1"
    grouped = store.load(a.project_id).graph.to_dict()
    b.apply(edit.set_param, (), "conv1", "kernel_size", 7)
    assert store.load(a.project_id).graph.to_dict() == grouped
    [told] = [n.text for n in b.take_notices() if n.kind == "warning"]
    assert "it sets a param of conv1, which the other edit grouped into the block Block, " \
           "where that param is the block's own now" in told
    assert len(store.snapshots(a.project_id)) == 1
