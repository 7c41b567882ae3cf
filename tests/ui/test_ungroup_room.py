"""Ungroup gives the inner blocks room: they go where the block's card was (its top-left
corner), and the blocks of the level they would cover move aside, right and down, by what the
expansion needs, keeping their order; one edit, so one undo step. Card boxes are the sizes the
canvas assumes for layouts (``edit.card_size``: 200 px wide, its estimated height).

Without it, the inner blocks were centred where the block was and covered its neighbours (an
outside tester's design at 1366x768: conv2d2 over AdaptiveAvgPool2d and Flatten, conv2d3 over
Linear, Add over Output)."""

from __future__ import annotations

import pytest

from layerloom.graph import edit, load_graph
from layerloom.graph.templates import load_template


def _boxes(graph) -> dict[str, tuple[float, float, float, float]]:
    specs = {d["type"]: d for d in edit.catalog(graph)}
    return {n.id: (n.position[0], n.position[1], *edit.card_size(n, specs.get(n.type)))
            for n in graph.nodes}


def _overlaps(graph) -> list[tuple[str, str]]:
    boxes = _boxes(graph)
    ids = list(boxes)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            x, y, w, h = boxes[a]
            bx, by, bw, bh = boxes[b]
            if x < bx + bw and bx < x + w and y < by + bh and by < y + h:
                out.append((a, b))
    return out


def _tester_design():
    """The design the tester ungrouped block2 of (two residual Blocks, then pool, flatten,
    linear), with the positions its canvas gave: block2 at the middle, pool and flatten above
    and right of it, linear and output below and left."""
    conv = {"padding": 1, "out_channels": "=width"}
    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "t", "variables": {"width": 32},
        "blocks": {"Block": {"params": {}, "nodes": [
            {"id": "x", "type": "Input", "position": [0, 0]},
            {"id": "conv2d2", "type": "Conv2d", "params": {**conv, "kernel_size": 3},
             "position": [515, 0]},
            {"id": "relu2", "type": "ReLU", "position": [839, 33]},
            {"id": "conv2d3", "type": "Conv2d", "params": conv, "position": [240, 221]},
            {"id": "add1", "type": "Add", "position": [564, 197]},
            {"id": "relu3", "type": "ReLU", "position": [814, 197]},
            {"id": "out", "type": "Output", "position": [1079, 0]}],
            "edges": [{"source": "x", "target": "conv2d2"}, {"source": "conv2d2", "target": "relu2"},
                      {"source": "relu2", "target": "conv2d3"},
                      {"source": "conv2d3", "target": "add1"}, {"source": "x", "target": "add1"},
                      {"source": "add1", "target": "relu3"}, {"source": "relu3", "target": "out"}]}},
        "nodes": [
            {"id": "input1", "type": "Input", "params": {"shape": [3, 32, 32]}, "position": [0, 10]},
            {"id": "conv2d1", "type": "Conv2d", "params": {"out_channels": "=width"},
             "position": [241, 0]},
            {"id": "relu1", "type": "ReLU", "position": [539, 33]},
            {"id": "block1", "type": "Block", "position": [0, 230]},
            {"id": "block2", "type": "Block", "position": [300, 284]},
            {"id": "adaptiveavgpool2d1", "type": "AdaptiveAvgPool2d", "position": [300, 165]},
            {"id": "flatten1", "type": "Flatten", "position": [583, 179]},
            {"id": "linear1", "type": "Linear", "position": [0, 388]},
            {"id": "output1", "type": "Output", "position": [230, 402]},
            {"id": "relu9", "type": "ReLU", "position": [560, 290]}],  # right of block2, level
        "edges": [
            {"source": "input1", "target": "conv2d1"}, {"source": "conv2d1", "target": "relu1"},
            {"source": "relu1", "target": "block1"}, {"source": "block1", "target": "block2"},
            {"source": "block2", "target": "relu9"},
            {"source": "relu9", "target": "adaptiveavgpool2d1"},
            {"source": "adaptiveavgpool2d1", "target": "flatten1"},
            {"source": "flatten1", "target": "linear1"},
            {"source": "linear1", "target": "output1"}]})


def _order_kept(before, after, ids) -> None:
    """No two of ``ids`` swap places top-bottom, nor left-right where they stand level (on one
    row)."""
    b = {n.id: n.position for n in before.nodes}
    a = {n.id: n.position for n in after.nodes}
    boxes = _boxes(before)
    for i in ids:
        for j in ids:
            if b[i][1] < b[j][1]:
                assert a[i][1] < a[j][1], (i, j, "y", b[i], b[j], a[i], a[j])
            level = b[i][1] < b[j][1] + boxes[j][3] and b[j][1] < b[i][1] + boxes[i][3]
            if level and b[i][0] < b[j][0]:
                assert a[i][0] < a[j][0], (i, j, "x", b[i], b[j], a[i], a[j])


def test_ungrouping_the_testers_block_overlaps_nothing_and_moves_the_rest_aside():
    g = _tester_design()
    assert _overlaps(g) == []
    g2, ids = edit.ungroup(g, "block2")
    assert ids == ["conv2d2", "relu2", "conv2d3", "add1", "relu3"]
    assert _overlaps(g2) == []
    pos = {n.id: n.position for n in g2.nodes}
    old = {n.id: n.position for n in g.nodes}
    # the inner blocks start where the block's card was, as they stood inside it
    assert min(pos[i][0] for i in ids) == 300 and min(pos[i][1] for i in ids) == 284
    assert pos["relu2"][0] - pos["conv2d2"][0] == 839 - 515
    # what stood above and left of the card stays; the row under it moves down, the block
    # level with it and right of it moves right
    for i in ("input1", "conv2d1", "relu1", "block1", "adaptiveavgpool2d1", "flatten1"):
        assert pos[i] == old[i], i
    assert pos["linear1"][0] == 0 and pos["linear1"][1] > 388
    assert pos["output1"][1] - pos["linear1"][1] == 402 - 388
    assert pos["relu9"][1] == 290 and pos["relu9"][0] > max(pos[i][0] for i in ids)
    _order_kept(g, g2, [n.id for n in g.nodes if n.id != "block2"])


@pytest.mark.parametrize("template", ["resnet18", "efficientnet-b0"])
def test_ungrouping_any_block_of_a_template_overlaps_nothing(template):
    g = load_template(template)
    assert _overlaps(g) == []
    composites = [n.id for n in g.nodes if n.type in g.blocks and n.repeat in (None, 1)]
    assert composites
    for node_id in composites:
        g2, _ = edit.ungroup(g, node_id)
        assert _overlaps(g2) == [], node_id
        _order_kept(g, g2, [n.id for n in g.nodes if n.id != node_id])


def test_ungroup_with_room_made_is_one_undo_step(tmp_path):
    from layerloom.ui.composites import ungroup
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    state = DesignerState.new(ProjectStore(tmp_path), _tester_design())
    before = state.graph.to_dict()
    steps = len(state.undo_stack)
    ungroup(state, "block2")
    assert len(state.undo_stack) == steps + 1
    assert _overlaps(state.graph) == []
    assert state.undo()
    assert state.graph.to_dict() == before
