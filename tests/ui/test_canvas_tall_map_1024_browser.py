"""The map of a design stacked in one column can be read and dragged, in a real browser at a
1024×768 window (Debian's Chromium driven by Playwright against the designer on a free port with
a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A design of 61 blocks placed one under the other (a hand-written or scripted column, as an
imported ResNet or a 24-layer Transformer is) showed React Flow's MiniMap as a thin strip: the
whole column fitted into a fixed box left the view's box in it about 4 px tall, neither seen
nor dragged. The map now keeps its width, takes a capped height, and shows the part of the
column round the view, the view's box at least 28 px a side (minimap.js ``mapFrame``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import re

import pytest
from canvas_browser import linked, open_project, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


@pytest.fixture(scope="module")
def designs():
    column = [("input1", "Input", {"shape": [4]}, [0, 0])]
    for i in range(1, 31):
        column += [(f"linear{i}", "Linear", {"out_features": 16}, [0, 300 * i - 150]),
                   (f"relu{i}", "ReLU", {}, [0, 300 * i])]
    return {"column": linked("column", [*column, ("output1", "Output", {}, [0, 9150])])}


@pytest.fixture
def page(browser, browser_page):
    from canvas_browser import TIMEOUT_MS

    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as pg:
        yield pg


VIEWPORT_JS = """el => el.style.transform"""


def view_box(frame) -> dict:
    """The view's box on the map, on the page: the map's viewBox read against the viewport the
    pane shows (whatever draws the map)."""
    transform = frame.locator(".react-flow__viewport").evaluate(VIEWPORT_JS)
    tx, ty, z = map(float, re.findall(r"-?[\d.]+(?:e-?\d+)?", transform)[:3])
    pane = frame.locator(".ll-flow .react-flow").bounding_box()
    svg = frame.locator(".react-flow__minimap svg")
    vx, vy, vw, vh = map(float, svg.get_attribute("viewBox").split())
    drawn = svg.bounding_box()
    k = min(drawn["width"] / vw, drawn["height"] / vh)  # preserveAspectRatio's "meet"
    left = drawn["x"] + (drawn["width"] - vw * k) / 2
    top = drawn["y"] + (drawn["height"] - vh * k) / 2
    return {"x": left + (-tx / z - vx) * k, "y": top + (-ty / z - vy) * k,
            "width": pane["width"] / z * k, "height": pane["height"] / z * k, "ty": ty}


def test_a_column_s_map_shows_a_box_one_can_see_and_drag(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["column"], '[data-testid="node-input1"]')
    settled(page, frame, ["input1", "linear1"])
    assert frame.locator(".react-flow__minimap").count() == 1
    page.screenshot(path=str(shots / "canvas-tall-map-1024.png"))
    box = view_box(frame)
    assert box["height"] >= 24 and box["width"] >= 24, box
    drawn = frame.locator(".react-flow__minimap svg").bounding_box()
    assert drawn["height"] <= 768 / 4

    # the box dragged 40 px down the map: the view goes down the column, its zoom kept, and
    # the box is still under the pointer
    before = zoom(frame)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 40, steps=8)
    page.mouse.up()
    settled(page, frame, ["input1"])
    after = view_box(frame)
    assert after["ty"] < box["ty"] - 200, (box, after)
    assert zoom(frame) == before
    assert abs(after["y"] + after["height"] / 2 - (y + 40)) <= 6, (y + 40, after)
    page.screenshot(path=str(shots / "canvas-tall-map-dragged-1024.png"))

    # a click low on the map, beside the box, brings the view down there
    drawn = frame.locator(".react-flow__minimap svg").bounding_box()
    page.mouse.click(drawn["x"] + drawn["width"] / 2, drawn["y"] + drawn["height"] - 4)
    settled(page, frame, ["input1"])
    jumped = view_box(frame)
    assert jumped["ty"] < after["ty"] - 200, (after, jumped)
    assert drawn["y"] - 1 <= jumped["y"] and jumped["y"] + jumped["height"] <= drawn["y"] + drawn["height"] + 1
