"""What the real-browser tests of the canvas share: small designs to open, opening one in the
designer, and reading where its blocks are drawn.

The fixtures (the app with a module's ``designs`` made projects, a ``page`` at a laptop's
1366×768 window) are tests/ui/conftest.py's; these are plain functions a test calls::

    from canvas_browser import chain, node_boxes, open_project, outside

    @pytest.fixture(scope="module")
    def designs():
        return {"drop": chain(1)}

    def test_...(app_url, page, projects):
        frame = open_project(page, app_url, projects["drop"], '[data-testid="node-linear1"]')
"""

from __future__ import annotations

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000  # an action's patience on a shared 2-core machine


def chain(n: int, name: str = "chain"):
    """Input[4] → (Linear(32) → ReLU) × n → Output, without positions (the canvas lays it out).
    """
    chain = [("input1", "Input", {"shape": [4]})]
    for i in range(1, n + 1):
        chain += [(f"linear{i}", "Linear", {"out_features": 32}), (f"relu{i}", "ReLU", {})]
    return linked(name, [*chain, ("output1", "Output", {})])


def mlp(name: str = "mlp"):
    """Input[4] → Linear(32) → ReLU → Linear(3) → Output, without positions."""
    return linked(name, [("input1", "Input", {"shape": [4]}),
                          ("linear1", "Linear", {"out_features": 32}), ("relu1", "ReLU", {}),
                          ("linear2", "Linear", {"out_features": 3}), ("output1", "Output", {})])


def linked(name: str, chain: list[tuple]):
    """The design ``name`` of ``chain``'s blocks ``(id, type, params[, position])`` wired one
    after the other."""
    from layerloom.graph.io import load_graph

    nodes = [{"id": i, "type": t, "params": p, **({"position": rest[0]} if rest else {})}
             for i, t, p, *rest in chain]
    edges = [{"source": a[0], "target": b[0]} for a, b in zip(chain, chain[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": name,
                       "nodes": nodes, "edges": edges})


def open_project(page, url: str, pid: str, ready: str):
    """The canvas' frame of project ``pid`` opened by its link, once ``ready`` (a selector in
    the canvas) is drawn: a first load is slow on a loaded machine, so it waits three times an
    action's patience."""
    page.goto(f"{url}/?project={pid}")
    frame = page.frame_locator(IFRAME)
    frame.locator(ready).first.wait_for(timeout=3 * TIMEOUT_MS)
    return frame


def drag_from_palette(page, frame, block: str, x: float, y: float) -> None:
    """``block`` found by the palette's search and dragged with the mouse to (x, y) on the page.
    """
    frame.locator('[data-testid="palette-search"]').fill(block)
    item = frame.locator(f'[data-testid="palette-item-{block}"]').bounding_box()
    page.mouse.move(item["x"] + 20, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.move(x + 1, y, steps=2)
    page.mouse.up()


def node_boxes(frame) -> dict[str, dict]:
    """Each drawn block's bounding box on the page, by id."""
    return {n.get_attribute("data-id"): n.bounding_box()
            for n in frame.locator(".react-flow__node").all()}


def outside(pane: dict, boxes: dict[str, dict], ids) -> list[str]:
    """Which of ``ids`` are not whole inside ``pane`` (half a pixel of rounding allowed)."""
    return [i for i in ids
            if boxes[i]["x"] < pane["x"] - 0.5 or boxes[i]["y"] < pane["y"] - 0.5
            or boxes[i]["x"] + boxes[i]["width"] > pane["x"] + pane["width"] + 0.5
            or boxes[i]["y"] + boxes[i]["height"] > pane["y"] + pane["height"] + 0.5]


def zoom(frame) -> float:
    """The canvas' zoom (1 = 100 %), as its toolbar shows it."""
    return float(frame.locator('[data-testid="canvas-zoom"]').get_attribute("data-zoom"))


def settled(page, frame, ids) -> dict[str, dict]:
    """The blocks' boxes once ``ids`` stop moving (a move of the view is animated)."""
    before = None
    for _ in range(40):
        page.wait_for_timeout(250)
        boxes = node_boxes(frame)
        now = {i: boxes.get(i) for i in ids}
        if now == before:
            return boxes
        before = now
    return boxes
