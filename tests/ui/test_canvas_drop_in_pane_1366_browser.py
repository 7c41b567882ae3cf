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
from canvas_browser import chain, drag_from_palette, node_boxes, open_project, outside

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    return {"drop": chain(1)}


def test_a_block_dropped_by_the_palette_lands_whole_in_the_pane(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["drop"], '[data-testid="node-linear1"]')
    pane = frame.locator(".ll-flow").bounding_box()
    # 20 px right of the palette, low in the pane
    drag_from_palette(page, frame, "Input", pane["x"] + 20, pane["y"] + pane["height"] - 15)
    frame.locator('[data-testid="node-input2"]').wait_for()
    page.wait_for_timeout(600)
    page.screenshot(path=str(shots / "canvas-drop-by-the-palette.png"))
    assert outside(pane, node_boxes(frame), ["input2"]) == []
    expect(frame.locator('[data-testid="node-input2"]')).to_contain_text("Input")

