"""Two tabs on one design with a group inside a group (Block holds block21, of Block2, which
holds conv1): one tab, showing block21 opened, changes what it holds; the other, showing
Block opened and not yet that change, ungroups block21 there. A param set inside lands on
conv1 as ungrouped, in Block's definition, as it does for a group at the top level
(tests/ui/test_ungroup_keeps_inside_edits.py); a block grouped inside makes the ungroup not
applied, said, and kept as a snapshot. Both stayed in Block2's definition, which nothing used
any more, told as 'both changes are kept': the design computed the old value, the other tab's
value gone unsaid. Found by the eight-tab mix (seed 311)."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _nested(store: ProjectStore) -> tuple[DesignerState, DesignerState]:
    """Tab A shows block1 (Block) opened, tab B block21 (Block2) inside it."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    assert a.open_block("block1") and a.group(["conv1"]) == "block21"
    b = DesignerState.open(store, a.project_id)
    b.go_to(())
    assert b.open_block("block1") and b.open_block("block21")
    assert a.path == ("Block",) and b.path == ("Block", "Block2")
    return a, b


def _inside(design: dict, block: str, nid: str) -> dict:
    return next(n for n in design["blocks"][block]["nodes"] if n["id"] == nid)


def test_a_param_set_inside_a_nested_group_this_tab_then_ungroups_lands_on_its_block(tmp_path):
    store = ProjectStore(tmp_path)
    a, b = _nested(store)
    b.apply(edit.set_param, b.path, "conv1", "kernel_size", 5)
    assert a.apply(edit.ungroup, "block21", path=a.path)[1] == ["conv1"]  # A had not seen it
    saved = store.load(a.project_id).graph
    assert _inside(saved.to_dict(), "Block", "conv1")["params"]["kernel_size"] == 5
    assert "block21" not in {n["id"] for n in saved.to_dict()["blocks"]["Block"]["nodes"]}
    assert validate(saved).ok
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]


def test_a_block_grouped_inside_a_nested_group_this_tab_then_ungroups_is_not_lost(tmp_path):
    store = ProjectStore(tmp_path)
    a, b = _nested(store)
    assert b.group(["conv1"]) == "block31"
    b.apply(edit.set_param, b.path + ("Block3",), "conv1", "kernel_size", 5)
    theirs = store.load(a.project_id).graph.to_dict()
    assert a.apply(edit.ungroup, "block21", path=a.path) is None
    assert store.load(a.project_id).graph.to_dict() == theirs  # B's group and value stay
    told = [n.text for n in a.take_notices() if n.kind == "warning"]
    assert any("it ungroups the block Block2, inside which the other edit changed more than "
               "its blocks' params" in t for t in told), told
    kept = [s for s in store.snapshots(a.project_id)
            if s.name.startswith("this tab's edit, not applied")]
    assert len(kept) == 1
    mine = store.load_snapshot(a.project_id, kept[0].id).to_dict()
    assert "conv1" in {n["id"] for n in mine["blocks"]["Block"]["nodes"]}  # A's ungroup
