"""After an edit that moves or adds blocks, the blocks it touched are in view, at a 1366×768
window, in a real browser (Debian's Chromium driven by Playwright against the designer started
on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- Ungroup lays the inner blocks out from the block's card and pushes its neighbours aside
  (graph/edit.py ``_make_room``): every inner block ends whole inside the pane, at a readable
  zoom; some of them were left past the pane's edges.
- A block dropped on a wire between two rows makes room in the target's row (graph.js
  ``makeRoom``): the inserted block and the row's blocks it pushed end whole inside the pane;
  the row's last block was pushed past its right edge.
- Another tab's save that adds a block out of view leaves this tab's view where its user
  keeps it (the reveal is for this tab's own edits).

viewport.js ``revealViewport``: pan only when the touched blocks fit at the current zoom, else
zoom out no further than the readable zoom, new blocks before pushed ones. Screenshots go to
the screenshots folder (``shots``). Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import time

import pytest
from canvas_browser import (TIMEOUT_MS, chain, drag_from_palette, node_boxes, open_project,
                            outside, settled, zoom)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

READABLE_ZOOM = 0.75  # viewport.js READABLE_ZOOM

expect = pytest.importorskip("playwright.sync_api").expect

INNER = ["conv2d2", "relu2", "conv2d3", "add1", "relu3"]


def _residual():
    """Input → Conv2d → ReLU → Block → Block → ReLU → pool → flatten → Linear → Output, where
    Block is a residual pair of convolutions 800 px wide laid out inside: ungrouping block2
    (middle of the design) spreads it far right and down of its card."""
    from layerloom.graph.io import load_graph

    conv = {"padding": 1, "out_channels": "=width"}
    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "residual",
        "variables": {"width": 32},
        "blocks": {"Block": {"params": {}, "nodes": [
            {"id": "x", "type": "Input", "position": [0, 0]},
            {"id": "conv2d2", "type": "Conv2d", "params": {**conv, "kernel_size": 3},
             "position": [515, 0]},
            {"id": "relu2", "type": "ReLU", "position": [839, 33]},
            {"id": "conv2d3", "type": "Conv2d", "params": conv, "position": [240, 221]},
            {"id": "add1", "type": "Add", "position": [564, 197]},
            {"id": "relu3", "type": "ReLU", "position": [814, 197]},
            {"id": "out", "type": "Output", "position": [1079, 0]}],
            "edges": [{"source": "x", "target": "conv2d2"},
                      {"source": "conv2d2", "target": "relu2"},
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
            {"id": "relu9", "type": "ReLU", "position": [560, 290]}],
        "edges": [
            {"source": "input1", "target": "conv2d1"}, {"source": "conv2d1", "target": "relu1"},
            {"source": "relu1", "target": "block1"}, {"source": "block1", "target": "block2"},
            {"source": "block2", "target": "relu9"},
            {"source": "relu9", "target": "adaptiveavgpool2d1"},
            {"source": "adaptiveavgpool2d1", "target": "flatten1"},
            {"source": "flatten1", "target": "linear1"},
            {"source": "linear1", "target": "output1"}]})


@pytest.fixture(scope="module")
def designs():
    return {"ungroup": _residual(), "insert": chain(3), "shared": chain(3)}


def test_ungrouped_inner_blocks_are_in_view(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["ungroup"], '[data-testid="node-block2"]')
    pane = frame.locator(".ll-flow").bounding_box()
    page.wait_for_timeout(500)
    frame.locator('[data-testid="node-block2"]').click()
    page.get_by_role("button", name="Ungroup").click()
    for i in INNER:
        frame.locator(f'[data-testid="node-{i}"]').wait_for()
    expect(frame.locator('[data-testid="node-block2"]')).to_have_count(0)
    boxes = settled(page, frame, INNER + ["relu9", "linear1", "output1"])
    page.screenshot(path=str(shots / "canvas-ungroup-in-view.png"))
    assert outside(pane, boxes, INNER) == [], (pane, {i: boxes[i] for i in INNER})
    assert zoom(frame) >= READABLE_ZOOM


def _laid_out_and_saved(app_home, pid: str) -> None:
    """Wait for Auto layout's change to be saved: chain(3) has no positions until then."""
    from layerloom.ui.projects import ProjectStore

    store = ProjectStore(app_home)
    for _ in range(int(TIMEOUT_MS / 200)):
        if all(n.position for n in store.load(pid).graph.nodes):
            return
        time.sleep(0.2)
    raise AssertionError(f"Auto layout of {pid} was not saved")


def test_blocks_pushed_by_an_insert_between_rows_are_in_view(app_url, page, projects, app_home,
                                                              shots):
    frame = open_project(page, app_url, projects["insert"], '[data-testid="node-linear1"]')
    pane = frame.locator(".ll-flow").bounding_box()
    frame.locator('[data-testid="btn-layout"]').click()
    # the layout done (Python has its positions) and its view's move ended
    _laid_out_and_saved(app_home, projects["insert"])
    boxes = settled(page, frame, list(node_boxes(frame)))
    assert outside(pane, boxes, list(boxes)) == [], "Auto layout shows the whole design"
    # the wire that wraps from the end of the first row to the start of the next
    order = ["input1", *(f"{t}{i}" for i in (1, 2, 3) for t in ("linear", "relu")), "output1"]
    wrap = next((a, b) for a, b in zip(order, order[1:])
                if boxes[b]["y"] > boxes[a]["y"] + boxes[a]["height"])
    mid = boxes[wrap[1]]["y"] + boxes[wrap[1]]["height"] / 2
    row = [i for i in order[order.index(wrap[1]):]
           if boxes[i]["y"] < mid < boxes[i]["y"] + boxes[i]["height"]]
    z0 = zoom(frame)
    ref = boxes[order[0]]  # the first block, which the insert leaves where it is
    # Dropout dragged onto that wire where it runs back along the gap, left of its label
    lab = frame.locator(f'[data-testid="edge-label-{wrap[0]}-{wrap[1]}"]').bounding_box()
    x, y = lab["x"] - 100, lab["y"] + lab["height"] / 2
    drag_from_palette(page, frame, "Dropout", x, y)
    # on the wire: its two wires drawn (what the toast says, but the toast lasts 4.5 s, and a
    # loaded machine can take that long to see the block drawn)
    for a, b in ((wrap[0], "dropout1"), ("dropout1", wrap[1])):
        expect(frame.locator(f'.react-flow__edge[data-id$=":{a}->{b}"]')).to_have_count(1)
    after = settled(page, frame, ["dropout1", *row])
    page.screenshot(path=str(shots / "canvas-insert-between-rows-in-view.png"))
    z1 = zoom(frame)

    def flow(b, r, z):  # a box's place in flow units, from the first block's
        return round((b["x"] - r["x"]) / z), round((b["y"] - r["y"]) / z)

    moved = [i for i in row
             if flow(after[i], after[order[0]], z1) != flow(boxes[i], ref, z0)]
    assert moved, "the insert made room in the row"
    assert outside(pane, after, ["dropout1", *row]) == [], (pane, after)
    assert z1 >= min(z0, READABLE_ZOOM) - 0.01


def test_another_tabs_block_out_of_view_leaves_this_view_alone(app_url, page, projects,
                                                                app_home):
    from layerloom.graph import Node
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.savelog import Edit

    pid = projects["shared"]
    frame = open_project(page, app_url, pid, '[data-testid="node-linear1"]')
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(1500)
    view = frame.locator(".react-flow__viewport")
    before = view.get_attribute("style")
    # another tab (here: the store, as a tab's save writes it) adds a block far off this view
    store = ProjectStore(app_home)
    graph = store.load(pid).graph.copy()
    graph.nodes.append(Node("dropout9", "Dropout", {}, position=[3000.0, 2000.0]))
    store.save(pid, graph, based_on=store.version(pid), edit=Edit("canvas", "add dropout9"))
    frame.locator('[data-testid="node-linear2"]').click()  # a run: this tab catches up
    frame.locator('[data-testid="node-dropout9"]').wait_for(state="attached")
    page.wait_for_timeout(2000)  # a reveal waits for the block's size, then moves (animated)
    assert view.get_attribute("style") == before
