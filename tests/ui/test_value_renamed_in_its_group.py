"""Three tabs on one design: A sets fc's out_features 5; B groups fc and renames it head inside
the group (or, fc being in a group, ungroups it and renames it head), A not caught up between
the two; C, showing head but not A's 5, sets 7 there. A's value was followed into the group
(or out of it) under the id fc, which the group no longer held: A was told nothing of its 5,
replaced by C's 7. A's values follow a block grouped (or ungrouped) and renamed in what one
catch-up reads, and A is told its 5 was replaced, and where it is kept."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _linears(design: dict) -> list:
    """Each Linear's out_features, at the top level and inside each composite block."""
    levels = [design, *(design.get("blocks") or {}).values()]
    return [n.get("params", {}).get("out_features") for level in levels for n in level["nodes"]
            if n["type"] == "Linear"]


@pytest.mark.parametrize("between", [False, True])
def test_a_value_in_a_block_grouped_and_renamed_there_then_replaced_is_told(tmp_path, between):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "fc", "out_features", 5)
    b.catch_up()
    assert b.group(["fc"]) == "block1"
    assert b.open_block("block1")
    b.apply(edit.rename_node, b.path, "fc", "head")
    if between:  # A reads the group and the rename at once, then C's value
        a.catch_up()
        a.take_notices()
    c.catch_up()
    assert c.open_block("block1")
    c.apply(edit.set_param, c.path, "head", "out_features", 7)
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [
        ("Block/head.out_features: your 5 was replaced by 7 from another tab",)]
    assert told[0].put_back == (("blocks.Block.nodes.head.params.out_features", 5),)
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert 5 in _linears(store.load_snapshot(pid, snap.id).to_dict())
    assert a.put_back(told[0].put_back)
    assert _linears(store.load(pid).graph.to_dict()) == [5]


@pytest.mark.parametrize("between", [False, True])
def test_a_value_in_a_block_ungrouped_and_renamed_then_replaced_is_told(tmp_path, between):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    assert a.group(["fc"]) == "block1"
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    assert a.open_block("block1")
    a.apply(edit.set_param, a.path, "fc", "out_features", 5)
    a.go_to(())
    b.catch_up()
    b.apply(edit.ungroup, "block1", path=())
    b.apply(edit.rename_node, (), "fc", "head")
    if between:
        a.catch_up()
        a.take_notices()
    c.catch_up()
    c.apply(edit.set_param, (), "head", "out_features", 7)
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [
        ("head.out_features: your 5 was replaced by 7 from another tab",)]
    assert told[0].put_back == (("nodes.head.params.out_features", 5),)
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert 5 in _linears(store.load_snapshot(pid, snap.id).to_dict())
    assert a.put_back(told[0].put_back)
    assert store.load(pid).graph.node("head").params["out_features"] == 5


@pytest.mark.parametrize("renamed", ["inside", "before"])
def test_a_value_set_on_a_block_another_tab_grouped_and_renamed_lands_on_it(tmp_path, renamed):
    """C, showing neither B's group of fc nor its rename to head (made inside the group, or
    by another tab before the group, which B's save then laid into it), sets fc's
    out_features: it lands on head in the group. It was refused as 'it changes fc, which the
    other edit removed', though fc was in the design, grouped and renamed."""
    store = ProjectStore(tmp_path)
    b = DesignerState.new(store, load_template("seed-cnn"))
    pid = b.project_id
    c = DesignerState.open(store, pid)
    if renamed == "before":
        DesignerState.open(store, pid).apply(edit.rename_node, (), "fc", "head")
        assert b.group(["fc"]) == "block1"  # B had not seen the rename: laid into the group
    else:
        assert b.group(["fc"]) == "block1"
        assert b.open_block("block1")
        b.apply(edit.rename_node, b.path, "fc", "head")
    c.apply(edit.set_param, (), "fc", "out_features", 7)
    saved = store.load(pid).graph.to_dict()
    inner = {n["id"]: n for n in saved["blocks"]["Block"]["nodes"]}
    assert "fc" not in inner and inner["head"]["params"]["out_features"] == 7
    assert not [n for n in c.take_notices() if n.kind in ("warning", "error")]
    assert c.graph.to_dict() == saved


def test_a_value_set_in_a_group_another_tab_ungrouped_and_renamed_lands_on_it(tmp_path):
    """C, showing block1 (Block) opened, sets fc's out_features there after B ungrouped
    block1 and renamed fc head: it lands on head. It was refused as 'it changes what is inside
    the block Block, which the other edit ungrouped', kept only as a snapshot."""
    store = ProjectStore(tmp_path)
    b = DesignerState.new(store, load_template("seed-cnn"))
    pid = b.project_id
    assert b.group(["fc"]) == "block1"
    c = DesignerState.open(store, pid)
    assert c.open_block("block1")
    b.apply(edit.ungroup, "block1", path=())
    b.apply(edit.rename_node, (), "fc", "head")
    c.apply(edit.set_param, c.path, "fc", "out_features", 7)
    saved = store.load(pid).graph
    assert saved.node("head").params["out_features"] == 7
    assert "fc" not in [n.id for n in saved.nodes]
    told = [n.text for n in c.take_notices() if n.kind in ("warning", "error")]
    assert told == ["The block block1 (Block) you had open is no longer in the design: another "
                    "tab or window ungrouped it. The canvas shows the design's top level now, "
                    "head selected (what it held)."]
