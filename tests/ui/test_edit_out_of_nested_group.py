"""Two tabs on one design with a group inside a group (Block holds block21, of Block2, which
holds conv1): one tab ungroups block21 inside Block while the other, showing block21 opened,
changes what it holds. The change lands on the blocks as ungrouped, in Block's definition, as
for a group at the top level (tests/ui/test_canvas_out_of_group.py). It landed in Block2's
definition, which nothing used any more, told as 'both changes are kept': the design computed
the old value, the move or the block added nowhere."""

from __future__ import annotations

import copy

from layerloom.graph import edit, load_graph, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _nested(store: ProjectStore) -> tuple[DesignerState, DesignerState, dict]:
    """Tab B shows block21 opened inside block1; tab A, in block1, ungroups block21. Returns
    the design saved after the ungroup."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1", "relu1"]) == "block1"
    assert a.open_block("block1") and a.group(["conv1"]) == "block21"
    a.go_to(())
    a.save_view()  # a tab opens where the last one left the design: at the top
    b = DesignerState.open(store, a.project_id)
    assert b.open_block("block1") and b.open_block("block21")
    assert a.open_block("block1")
    assert b.path == ("Block", "Block2")
    assert a.apply(edit.ungroup, "block21", path=a.path)[1] == ["conv1"]
    return a, b, store.load(a.project_id).graph.to_dict()


def _send(tab: DesignerState, level: dict) -> None:
    tab.handle_events({"events": [{"seq": 1, "event": "change", "base": tab.canvas_version(),
                                   "graph": level, "selected": []}]})


def _inside(design: dict, block: str, nid: str) -> dict:
    return next(n for n in design["blocks"][block]["nodes"] if n["id"] == nid)


def _said(tab: DesignerState) -> list[str]:
    return [n.text.split(":")[0] for n in tab.take_notices() if n.kind in ("warning", "error")]


def test_a_param_set_inside_a_nested_group_another_tab_ungrouped_lands_on_its_block(tmp_path):
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _nested(store)
    b.apply(edit.set_param, b.path, "conv1", "kernel_size", 7)
    saved = store.load(a.project_id).graph
    assert _inside(saved.to_dict(), "Block", "conv1")["params"]["kernel_size"] == 7
    assert validate(saved).ok
    assert _said(b) == ["The block block21 (Block2) you had open is no longer in the design"]
    assert b.path == ("Block",) and b.selected == ["conv1"]
    again = saved.to_dict()
    _inside(again, "Block", "conv1")["params"]["kernel_size"] = 3
    assert again == ungrouped  # nothing else changed: the unused Block2 left alone


def test_a_block_moved_and_one_added_inside_a_nested_group_ungrouped_land_there(tmp_path):
    store = ProjectStore(tmp_path)
    a, b, ungrouped = _nested(store)
    level = copy.deepcopy(b.level())
    conv1 = next(n for n in level["nodes"] if n["id"] == "conv1")
    conv1["position"] = [conv1["position"][0] + 40, conv1["position"][1] + 10]
    # a Dropout put between conv1 and the group's output
    level["nodes"].append({"id": "drop1", "type": "Dropout", "params": {"p": 0.2},
                           "position": [conv1["position"][0] + 200, conv1["position"][1]]})
    level["edges"] = [e for e in level["edges"] if e["source"] != "conv1"] + [
        {"source": "conv1", "target": "drop1"}, {"source": "drop1", "target": "out"}]
    _send(b, level)
    saved = store.load(a.project_id).graph.to_dict()
    was = _inside(ungrouped, "Block", "conv1")["position"]
    assert _inside(saved, "Block", "conv1")["position"] == [was[0] + 40, was[1] + 10]
    assert _inside(saved, "Block", "drop1")["params"] == {"p": 0.2}
    wires = {(e["source"], e["target"]) for e in saved["blocks"]["Block"]["edges"]}
    assert {("conv1", "drop1"), ("drop1", "relu1")} <= wires and ("conv1", "relu1") not in wires
    assert saved["blocks"]["Block2"] == ungrouped["blocks"]["Block2"]  # unused, left alone
    assert validate(load_graph(saved)).ok
    assert not [t for t in _said(b) if "not applied" in t]
