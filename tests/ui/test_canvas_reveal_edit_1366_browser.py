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

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
WINDOW = {"width": 1366, "height": 768}
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


def _chain(n: int):
    """Input[4] → (Linear(32) → ReLU) × n → Output, without positions."""
    from layerloom.graph.io import load_graph

    chain = [("input1", "Input", {"shape": [4]})]
    for i in range(1, n + 1):
        chain += [(f"linear{i}", "Linear", {"out_features": 32}), (f"relu{i}", "ReLU", {})]
    chain.append(("output1", "Output", {}))
    nodes = [{"id": i, "type": t, "params": p} for i, t, p in chain]
    edges = [{"source": a[0], "target": b[0]} for a, b in zip(chain, chain[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": "chain",
                       "nodes": nodes, "edges": edges})


@pytest.fixture(scope="module")
def projects(create_projects):
    return create_projects({"ungroup": _residual(), "insert": _chain(3), "shared": _chain(3)})


@pytest.fixture(scope="module")
def app_url(projects, app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=WINDOW) as pg:
        yield pg


def _open(page, url: str, pid: str, ready: str):
    page.goto(f"{url}/?project={pid}")
    frame = page.frame_locator(IFRAME)
    frame.locator(ready).first.wait_for(timeout=3 * TIMEOUT_MS)  # a first load is slow under load
    return frame


def _boxes(frame) -> dict[str, dict]:
    return {n.get_attribute("data-id"): n.bounding_box()
            for n in frame.locator(".react-flow__node").all()}


def _outside(pane: dict, boxes: dict[str, dict], ids) -> list[str]:
    """Which of ``ids`` are not whole inside ``pane``."""
    return [i for i in ids
            if boxes[i]["x"] < pane["x"] - 0.5 or boxes[i]["y"] < pane["y"] - 0.5
            or boxes[i]["x"] + boxes[i]["width"] > pane["x"] + pane["width"] + 0.5
            or boxes[i]["y"] + boxes[i]["height"] > pane["y"] + pane["height"] + 0.5]


def _zoom(frame) -> float:
    return float(frame.locator('[data-testid="canvas-zoom"]').get_attribute("data-zoom"))


def _settled(page, frame, ids) -> dict[str, dict]:
    """The nodes' boxes once they stop moving (the view's move is animated)."""
    before = None
    for _ in range(40):
        page.wait_for_timeout(250)
        boxes = _boxes(frame)
        now = {i: boxes.get(i) for i in ids}
        if now == before:
            return boxes
        before = now
    return boxes


def test_ungrouped_inner_blocks_are_in_view(app_url, page, projects, shots):
    frame = _open(page, app_url, projects["ungroup"], '[data-testid="node-block2"]')
    pane = frame.locator(".ll-flow").bounding_box()
    page.wait_for_timeout(500)
    frame.locator('[data-testid="node-block2"]').click()
    page.get_by_role("button", name="Ungroup").click()
    for i in INNER:
        frame.locator(f'[data-testid="node-{i}"]').wait_for()
    expect(frame.locator('[data-testid="node-block2"]')).to_have_count(0)
    boxes = _settled(page, frame, INNER + ["relu9", "linear1", "output1"])
    page.screenshot(path=str(shots / "canvas-ungroup-in-view.png"))
    assert _outside(pane, boxes, INNER) == [], (pane, {i: boxes[i] for i in INNER})
    assert _zoom(frame) >= READABLE_ZOOM


def test_blocks_pushed_by_an_insert_between_rows_are_in_view(app_url, page, projects, shots):
    frame = _open(page, app_url, projects["insert"], '[data-testid="node-linear1"]')
    pane = frame.locator(".ll-flow").bounding_box()
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(1500)
    boxes = _boxes(frame)
    assert _outside(pane, boxes, list(boxes)) == [], "Auto layout shows the whole design"
    # the wire that wraps from the end of the first row to the start of the next
    order = ["input1", *(f"{t}{i}" for i in (1, 2, 3) for t in ("linear", "relu")), "output1"]
    wrap = next((a, b) for a, b in zip(order, order[1:])
                if boxes[b]["y"] > boxes[a]["y"] + boxes[a]["height"])
    mid = boxes[wrap[1]]["y"] + boxes[wrap[1]]["height"] / 2
    row = [i for i in order[order.index(wrap[1]):]
           if boxes[i]["y"] < mid < boxes[i]["y"] + boxes[i]["height"]]
    zoom = _zoom(frame)
    ref = boxes[order[0]]  # the first block, which the insert leaves where it is
    # Dropout dragged onto that wire where it runs back along the gap, left of its label
    lab = frame.locator(f'[data-testid="edge-label-{wrap[0]}-{wrap[1]}"]').bounding_box()
    x, y = lab["x"] - 100, lab["y"] + lab["height"] / 2
    frame.locator('[data-testid="palette-search"]').fill("Dropout")
    item = frame.locator('[data-testid="palette-item-Dropout"]').bounding_box()
    page.mouse.move(item["x"] + 20, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.move(x + 1, y, steps=2)
    page.mouse.up()
    frame.locator('[data-testid="node-dropout1"]').wait_for()
    expect(frame.locator('[data-testid="canvas-toast"]')).to_contain_text(
        f"dropout1 put on the wire {wrap[0]} → {wrap[1]}")
    after = _settled(page, frame, ["dropout1", *row])
    page.screenshot(path=str(shots / "canvas-insert-between-rows-in-view.png"))
    z1 = _zoom(frame)

    def flow(b, r, z):  # a box's place in flow units, from the first block's
        return round((b["x"] - r["x"]) / z), round((b["y"] - r["y"]) / z)

    moved = [i for i in row
             if flow(after[i], after[order[0]], z1) != flow(boxes[i], ref, zoom)]
    assert moved, "the insert made room in the row"
    assert _outside(pane, after, ["dropout1", *row]) == [], (pane, after)
    assert z1 >= min(zoom, READABLE_ZOOM) - 0.01


def test_another_tabs_block_out_of_view_leaves_this_view_alone(app_url, page, projects,
                                                                app_home):
    from layerloom.graph import Node
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.savelog import Edit

    pid = projects["shared"]
    frame = _open(page, app_url, pid, '[data-testid="node-linear1"]')
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
