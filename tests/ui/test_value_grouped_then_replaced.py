"""Three tabs on one design: A sets fc's out_features while B, not showing it, groups fc
(A's value lands on fc inside the group), then C, showing the group but not A's value, sets
it there too (C's wins, A's version kept as a snapshot). A is told its value was replaced,
and where it is kept. It was told nothing of its value (only that Undo leaves fc.out_features
as another tab set it): its edit was followed at the top level, where fc no longer was.
Found by the eight-tab mix (seed 518)."""

from __future__ import annotations

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_a_value_set_on_a_block_another_tab_grouped_then_replaced_there_is_told(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    assert b.group(["fc"]) == "block1"
    c.catch_up()
    assert c.open_block("block1")
    a.apply(edit.set_param, (), "fc", "out_features", 5)  # laid over B's group
    saved = store.load(pid).graph.to_dict()
    fc = next(n for n in saved["blocks"]["Block"]["nodes"] if n["id"] == "fc")
    assert fc["params"]["out_features"] == 5
    c.apply(edit.set_param, c.path, "fc", "out_features", 7)  # C had not seen A's 5
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [
        ("Block/fc.out_features: your 5 was replaced by 7 from another tab",)]
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    inside = store.load_snapshot(pid, snap.id).to_dict()["blocks"]["Block"]["nodes"]
    assert 5 in [n.get("params", {}).get("out_features") for n in inside]


def test_a_value_grouped_and_replaced_while_its_tab_looked_away_is_told_as_replaced(tmp_path):
    """The same, A catching up only after both B's group and C's value: A was told nothing
    (its value followed into the group, the design it showed had no group to compare with),
    or, before its values followed their block, that its 5 was removed with fc, which is
    still there, in Block."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b, c = DesignerState.open(store, pid), DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "fc", "out_features", 5)
    b.catch_up()
    assert b.group(["fc"]) == "block1"
    c.catch_up()
    assert c.open_block("block1")
    c.apply(edit.set_param, c.path, "fc", "out_features", 7)
    a.take_notices()
    assert a.catch_up()
    told = [n for n in a.take_notices() if n.details]
    assert [n.details for n in told] == [
        ("Block/fc.out_features: your 5 was replaced by 7 from another tab",)]
    assert told[0].put_back == (("blocks.Block.nodes.fc.params.out_features", 5),)
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    inside = store.load_snapshot(pid, snap.id).to_dict()["blocks"]["Block"]["nodes"]
    assert 5 in [n.get("params", {}).get("out_features") for n in inside]
    assert a.put_back(told[0].put_back)
    saved = store.load(pid).graph.to_dict()
    fc = next(n for n in saved["blocks"]["Block"]["nodes"] if n["id"] == "fc")
    assert fc["params"]["out_features"] == 5
