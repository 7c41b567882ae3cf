"""Blocks a newcomer puts on the canvas are in view, at a 1366×768 window, in a real
browser (Debian's Chromium driven by Playwright against the designer started on a free port
with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- A block dropped from the palette next to the palette's edge is placed whole inside the pane
  (it was centred on the pointer, and half of its card lay under the palette: "nput" of
  "Input" showed). viewport.js ``keepInPane``.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
WINDOW = {"width": 1366, "height": 768}

expect = pytest.importorskip("playwright.sync_api").expect


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
    return create_projects({"drop": _chain(1)})


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
    frame.locator(ready).first.wait_for(timeout=3 * TIMEOUT_MS)
    return frame


def _drag_from_palette(page, frame, block: str, x: float, y: float) -> None:
    frame.locator('[data-testid="palette-search"]').fill(block)
    item = frame.locator(f'[data-testid="palette-item-{block}"]').bounding_box()
    page.mouse.move(item["x"] + 20, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.move(x + 1, y, steps=2)
    page.mouse.up()


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


def test_a_block_dropped_by_the_palette_lands_whole_in_the_pane(app_url, page, projects, shots):
    frame = _open(page, app_url, projects["drop"], '[data-testid="node-linear1"]')
    pane = frame.locator(".ll-flow").bounding_box()
    # 20 px right of the palette, low in the pane
    _drag_from_palette(page, frame, "Input", pane["x"] + 20, pane["y"] + pane["height"] - 15)
    frame.locator('[data-testid="node-input2"]').wait_for()
    page.wait_for_timeout(600)
    page.screenshot(path=str(shots / "canvas-drop-by-the-palette.png"))
    assert _outside(pane, _boxes(frame), ["input2"]) == []
    expect(frame.locator('[data-testid="node-input2"]')).to_contain_text("Input")

