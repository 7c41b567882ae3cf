"""A design taller than the window says what lies out of view, and brings it in, in a real
browser at a 1024×768 window (Debian's Chromium driven by Playwright against the designer on a
free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A hand-written chain of 40 blocks with no positions is laid out in rows and opens at the
readable zoom: its lowest rows lay below the pane's edge with nothing to say so. The canvas now
shows a map of the whole design and the count of blocks out of view, with a button that pans to
the first of them (viewport.js ``outOfView``, Canvas.jsx ``OutOfView``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import chain, node_boxes, open_project, outside, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


@pytest.fixture(scope="module")
def designs():
    return {"tall": chain(19, name="tall-chain"), "small": chain(1, name="small-chain")}


@pytest.fixture
def page(browser, browser_page):
    from canvas_browser import TIMEOUT_MS

    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as pg:
        yield pg


def pane_box(frame) -> dict:
    return frame.locator(".ll-flow .react-flow").bounding_box()


def test_a_tall_design_says_how_many_blocks_are_out_of_view_and_shows_them(
        app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["tall"], '[data-testid="node-input1"]')
    settled(page, frame, ["input1", "linear1"])
    assert zoom(frame) >= 0.75
    pane = pane_box(frame)
    boxes = node_boxes(frame)
    assert len(boxes) == 40
    hidden = outside(pane, boxes, list(boxes))
    assert hidden, "the design fits the pane: the test needs one that does not"
    page.screenshot(path=str(shots / "canvas-out-of-view-1024.png"))

    # the count says how many, and the map of the whole design is there
    told = frame.locator('[data-testid="canvas-out-of-view"] [data-count]')
    assert int(told.get_attribute("data-count")) == len(hidden)
    # said whole, or, where the whole panel would cover a card in every corner, in its short
    # form with the whole in its tooltip (offview.js)
    assert f"{len(hidden)} of 40 blocks out of view" in told.inner_text() + told.get_attribute(
        "title")
    assert frame.locator(".react-flow__minimap").count() == 1

    # "Show next" pans to the first block out of view in the design's order, at the same zoom
    first = next(i for i in boxes if i in hidden)
    before = zoom(frame)
    frame.locator('[data-testid="canvas-show-next"]').click()
    boxes = settled(page, frame, [first])
    assert first not in outside(pane, boxes, [first])
    assert zoom(frame) == before
    now = outside(pane, boxes, list(boxes))
    count = frame.locator('[data-testid="canvas-out-of-view"] [data-count]')
    assert int(count.get_attribute("data-count")) == len(now)


def test_a_design_wholly_in_view_shows_no_count_and_no_map(app_url, page, projects):
    frame = open_project(page, app_url, projects["small"], '[data-testid="node-input1"]')
    boxes = settled(page, frame, ["input1", "output1"])
    assert outside(pane_box(frame), boxes, list(boxes)) == []
    assert frame.locator('[data-testid="canvas-out-of-view"]').count() == 0
    assert frame.locator(".react-flow__minimap").count() == 0
