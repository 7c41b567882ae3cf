"""An undo or redo step that ungroups a block holds the block's definition, unused there, as it
was when the step was made. Laid over another tab's save that added a block inside the group
since, the step's older copy of the unused definition hid that tab's change: the step ungrouped
the block and the block added stayed in the definition nothing used, unsaid (found by the
eight-tab mix, tests/ui/many_tabs.py, seed 56). The step now gives way, as it does where its
copy of the definition is the one it was laid on."""

from __future__ import annotations

import copy

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.merge import merge_or_why


def _designs() -> tuple[dict, dict, dict]:
    grouped, _ = edit.group(load_template("seed-cnn"), ["conv1", "relu1"])
    ungrouped = edit.ungroup(grouped, "block1")[0].to_dict()
    # since the step was made, a param was set inside the group: the step's copy of the
    # definition (unused there) still holds the old one
    base = edit.set_param(grouped, ("Block",), "conv1", "kernel_size", 5).to_dict()
    theirs = copy.deepcopy(base)
    block = theirs["blocks"]["Block"]
    wire = next(e for e in block["edges"] if e["source"] == "conv1")
    block["edges"].remove(wire)
    block["nodes"].append({"id": "drop9", "type": "Dropout", "params": {"p": 0.3},
                           "position": [300, 100]})
    block["edges"] += [{"source": "conv1", "target": "drop9"},
                       {"source": "drop9", "target": wire["target"]}]
    mine = copy.deepcopy(ungrouped)
    next(n for n in mine["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] = 5
    assert mine["blocks"]["Block"] != base["blocks"]["Block"]  # the older copy
    return base, mine, theirs


def test_a_step_ungrouping_a_block_another_tab_added_to_since_gives_way():
    base, mine, theirs = _designs()
    assert merge_or_why(base, mine, theirs, theirs_win=True) == (
        "it ungroups the block Block, inside which the other edit changed more than its "
        "blocks' params")


def test_a_param_set_inside_since_still_lands_on_the_block_ungrouped():
    base, mine, _ = _designs()
    theirs = copy.deepcopy(base)  # the other tab set conv1's stride inside the group
    next(n for n in theirs["blocks"]["Block"]["nodes"] if n["id"] == "conv1")["params"][
        "stride"] = 2
    laid = merge_or_why(base, mine, theirs, theirs_win=True)
    assert not isinstance(laid, str), laid
    design, _ = laid
    conv1 = next(n for n in design["nodes"] if n["id"] == "conv1")
    assert conv1["params"] == {"out_channels": "=round(32*width)", "kernel_size": 5, "stride": 2}
    assert not [n for n in design["nodes"] if n["type"] == "Block"]
