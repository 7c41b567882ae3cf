"""Tabs on one design: A sets fc's out_features 5 inside the group block1 (Block), then the
group is ungrouped (by A, or by B who saw A's 5); C, still showing the group and neither
change, sets 7 there. C's 7 went into Block's definition, which nothing used any more, while
C was told its edit was saved and the design computed A's 5; A was told its 5 was replaced
by 7. C's 7 now lands on fc as ungrouped, A's 5 kept as a snapshot, and A is told so."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


@pytest.mark.parametrize("who", ["A", "B"])
def test_a_value_set_in_a_group_ungrouped_then_replaced_there_lands_and_is_told(tmp_path, who):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    assert a.group(["fc"]) == "block1"
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    assert a.open_block("block1") and c.open_block("block1")
    a.apply(edit.set_param, a.path, "fc", "out_features", 5)
    a.go_to(())
    ungrouping = a if who == "A" else b
    ungrouping.catch_up()
    ungrouping.apply(edit.ungroup, "block1", path=())
    c.apply(edit.set_param, c.path, "fc", "out_features", 7)  # C had seen neither
    saved = store.load(pid).graph
    assert saved.node("fc").params["out_features"] == 7  # in the design, not in Block unused
    (contested,) = [n for n in c.take_notices() if "this tab's edit is saved" in n.text]
    assert "fc.params.out_features" in contested.text
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [("fc.out_features: your 5 was replaced by 7 from "
                                          "another tab",)]
    assert told[0].put_back == (("nodes.fc.params.out_features", 5),)
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert store.load_snapshot(pid, snap.id).node("fc").params["out_features"] == 5
