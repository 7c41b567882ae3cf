"""The design's map can be hidden to read the blocks under it, and shown again, at a 1024×768
window in a real browser (Debian's Chromium driven by Playwright against the designer on a free
port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

The conv-autoencoder template opens with three blocks out of view, so the map is drawn in the
pane's bottom right corner, over a whole card of the third row (dec1_relu): nothing let a
newcomer read it but panning. The map now has a close button, and a "Map" button in its place
shows it again (DesignMap.jsx).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

AT_JS = """([x, y]) => { const e = document.elementFromPoint(x, y);
  const n = e && e.closest('.react-flow__node'); return n ? n.dataset.id : (e && e.closest(
  '.react-flow__minimap') ? 'map' : null); }"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"autoencoder": load_template("conv-autoencoder")}


@pytest.fixture
def page(browser, browser_page):
    from canvas_browser import TIMEOUT_MS

    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as pg:
        yield pg


def _covered(frame, boxes, map_box):
    """The blocks whose middle the map lies over, with that point in the frame's coordinates."""
    frame_box = frame.locator("body").bounding_box()
    out = {}
    for i, b in boxes.items():
        x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        if (map_box["x"] <= x <= map_box["x"] + map_box["width"]
                and map_box["y"] <= y <= map_box["y"] + map_box["height"]):
            out[i] = (x - frame_box["x"], y - frame_box["y"])
    return out


def test_the_map_hides_to_show_the_card_under_it_and_comes_back(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["autoencoder"], '[data-testid="node-image"]')
    boxes = settled(page, frame, ["image", "enc1"])
    the_map = frame.locator(".react-flow__minimap")
    assert the_map.count() == 1
    under = _covered(frame, boxes, the_map.bounding_box())
    assert under, "no card under the map: the test needs one"
    block, point = next(iter(under.items()))
    at = frame.locator("body").evaluate(f"() => ({AT_JS})([{point[0]}, {point[1]}])")
    assert at == "map"
    page.screenshot(path=str(shots / "canvas-map-over-card-1024.png"))

    frame.locator('[data-testid="canvas-map-hide"]').click()
    frame.locator('[data-testid="canvas-map-show"]').wait_for()
    assert frame.locator(".react-flow__minimap").count() == 0
    at = frame.locator("body").evaluate(f"() => ({AT_JS})([{point[0]}, {point[1]}])")
    assert at == block
    page.screenshot(path=str(shots / "canvas-map-hidden-1024.png"))

    frame.locator('[data-testid="canvas-map-show"]').click()
    frame.locator(".react-flow__minimap").wait_for()
    assert frame.locator('[data-testid="canvas-map-show"]').count() == 0
