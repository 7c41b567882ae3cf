"""Eight tabs editing one design at once (tests/ui/many_tabs.py drives them from a seed): every
edit is in the design saved, or taken away by a later edit made on a design that showed it, or
told to its tab with a snapshot that keeps it; the design holds no value no edit set. And the
case the mix found: a value another tab replaced in a block a third tab renamed is told."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

from .many_tabs import Tabs, unaccounted


# 19 ran into a tab showing a group another tab undid (tests/ui/test_group_undone_elsewhere.py)
# 56 ran into a redo of an ungroup holding an older copy of the block (test_merge_stale_unused_block)
# 87 ran into a group of a block another tab renamed (test_group_follows_rename)
# 119 ran into a composite block left without an Input (tests/graph/test_composite_without_input)
# 181 into a delete, on a canvas not showing it, of a block another tab renamed
#     (test_renamed_block_deleted)
# 226 into an undo of a group another tab ungrouped (test_undo_group_after_ungroup)
# 248 into the same as 87 inside a composite block
# 253 into a rename inside a group another tab ungrouped (test_rename_out_of_group)
# 311 into an ungroup inside a block of a group another tab changed inside
#     (test_ungroup_nested_keeps_inside_edits)
# 369 into an undo of a group another tab grouped again (test_ungroup_of_a_group_regrouped)
# 423 into a rename told where a block was put on the renamed block's wire (test_renames)
# 415 into a block deleted and another put on its wire taken for it renamed
#     (test_deleted_then_new_on_its_wire)
# 518 into a value set on a block another tab grouped, replaced inside the group by a third
#     (test_value_grouped_then_replaced)
# 977 into a value in a block its own tab grouped, replaced by another tab
#     (test_own_values_follow_own_rename)
# 1186 into an ungroup of a block used once more inside an unused definition
#     (test_ungroup_beside_an_unused_use)
# 1831 and 1935 into a block renamed in a group, then ungrouped and deleted, only in the unused
#     definition still (test_renamed_block_deleted)
@pytest.mark.parametrize("seed", [3, 11, 19, 56, 87, 119, 181, 226, 248, 253, 311, 369, 415,
                                  423, 518, 977, 1186, 1831, 1935])
def test_eight_tabs_editing_one_design_lose_and_alter_nothing_unsaid(tmp_path, seed):
    tabs = Tabs(ProjectStore(tmp_path), load_template("seed-cnn"), tabs=8, seed=seed)
    for _ in range(150):
        tabs.step()
    assert unaccounted(tabs) == []
    kinds = {m.kind for m in tabs.made}
    assert kinds == {"param", "variable", "label", "add", "remove", "move", "rename", "group",
                     "ungroup", "undo", "redo", "open", "up"}
    assert any(tab.path for tab in tabs.tabs) or any(m.kind == "up" for m in tabs.made)
    heard = [text for said in tabs.heard for text in said]
    assert any("was not applied" in text for text in heard)  # refusals happen, and are said
    assert any("both changes are kept" in text for text in heard)  # and merges


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eight_tabs_and_hand_edits_of_the_file_lose_and_alter_nothing_unsaid(tmp_path, seed):
    """The mix with graph.json edited by hand too, about one step in eight (a param, a label, a
    variable written into the file): each tab takes it in at its next run, or lays its edit over
    it; a hand value a tab's edit replaces is kept in a snapshot."""
    tabs = Tabs(ProjectStore(tmp_path), load_template("seed-cnn"), tabs=8, seed=seed, hand=8)
    for _ in range(150):
        tabs.step()
    assert unaccounted(tabs) == []
    assert sum(m.kind == "hand" for m in tabs.made) >= 10
    heard = [text for said in tabs.heard for text in said]
    assert any("changed outside LayerLoom" in text for text in heard)


def test_a_value_replaced_in_a_block_a_third_tab_renamed_is_told(tmp_path):
    """A set fc's out_features to 5; B, not showing it, set 7 (B's wins, A's version kept as a
    snapshot); C renamed fc to head. A, catching up, was told only that Undo leaves
    head.out_features as another tab set it: not that its 5 was replaced, nor where it is
    kept."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "fc", "out_features", 5)
    b.apply(edit.set_param, (), "fc", "out_features", 7)
    DesignerState.open(store, pid).apply(edit.rename_node, (), "fc", "head")
    assert a.catch_up()
    (notice,) = a.take_notices()
    assert notice.details == ("head.out_features: your 5 was replaced by 7 from another tab",)
    assert notice.put_back == (("nodes.head.params.out_features", 5),)
    kept = notice.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert 5 in [n.params.get("out_features") for n in store.load_snapshot(pid, snap.id).nodes]
    assert a.put_back(notice.put_back)
    assert store.load(pid).graph.node("head").params["out_features"] == 5
