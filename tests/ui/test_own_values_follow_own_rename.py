"""Two tabs on one design: A sets fc's out_features, then renames fc (or groups it) itself;
B, not showing either, sets fc's out_features too (its value lands on the block as A renamed
or grouped it, and wins). A was told nothing of its value: its values were followed where
another tab renamed or grouped their block, never where it did so itself. Found by the
eight-tab mix (seed 977)."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


@pytest.mark.parametrize("how, path, words", [
    ("rename", "nodes.head.params.out_features", "head.out_features"),
    ("group", "blocks.Block.nodes.fc.params.out_features", "Block/fc.out_features")])
def test_a_value_in_a_block_its_tab_renamed_or_grouped_then_replaced_is_told(
        tmp_path, how, path, words):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "fc", "out_features", 5)
    if how == "rename":
        a.apply(edit.rename_node, (), "fc", "head")
    else:
        assert a.group(["fc"]) == "block1"
    b.apply(edit.set_param, (), "fc", "out_features", 7)  # B had not seen A's 5
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [(f"{words}: your 5 was replaced by 7 from another tab",)]
    assert told[0].put_back == ((path, 5),)
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert 5 in _out_features(store.load_snapshot(pid, snap.id).to_dict())
    assert a.put_back(told[0].put_back)
    assert 5 in _out_features(store.load(pid).graph.to_dict())


def _out_features(design: dict) -> list:
    """Each Linear's out_features, at the top level and inside each composite block."""
    levels = [design, *(design.get("blocks") or {}).values()]
    return [n.get("params", {}).get("out_features") for level in levels for n in level["nodes"]]
