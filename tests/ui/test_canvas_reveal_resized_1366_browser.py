"""A block added by search-to-add stays whole in view once Python's answer has widened its
card, at a 1366×768 window, in a real browser (Debian's Chromium driven by Playwright against
the designer started on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are
tests/ui/conftest.py's).

A wire dropped near the pane's right edge and answered with Flatten put the new block's card
whole inside the pane as first drawn (150 px: "Flatten flatten1", "→ ?"), so the view stayed;
then its shape and its problem badge came with Python's answer, the card grew to 169 px and
its right end, id and output port ran past the pane's edge, where the next wire could not be
started. Canvas.jsx ``reveal`` looks again at a card measured again soon after.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, outside, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

FIRST_W = 150  # Flatten's card as first drawn, before Python's answer (flow px)


@pytest.fixture(scope="module")
def designs():
    # an Input wired to an Output below it: a block added after the Input and wired to nothing
    # has a problem badge (it is on no path to an Output). A design with no Output at all no
    # longer gives each block a badge: that is one error, said once.
    return {"grow": linked("grow", [("input1", "Input", {"shape": [1, 28, 28]}, [0, 0]),
                                    ("output1", "Output", {}, [0, 260])])}


def test_a_block_whose_card_grows_after_the_add_ends_whole_in_the_pane(app_url, page, projects,
                                                                       shots):
    frame = open_project(page, app_url, projects["grow"], '[data-testid="node-input1"]')
    page.wait_for_timeout(800)  # the arrival view is set
    pane = frame.locator(".ll-flow").bounding_box()
    z = zoom(frame)
    handle = frame.locator('[data-testid="node-input1"] .react-flow__handle.source').first
    h = handle.bounding_box()
    x0, y0 = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
    # the wire's end where the new card, as first drawn, ends 8 px inside the pane's right edge
    x1 = pane["x"] + pane["width"] - (4 + FIRST_W) * z - 8
    y1 = min(y0 + 140, pane["y"] + pane["height"] - 80)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=6)
    page.mouse.move(x1, y1, steps=6)
    page.mouse.up()
    frame.locator('[data-testid="quick-add-search"]').fill("Flatten")
    frame.locator('[data-testid="quick-add-item-Flatten"]').click()
    frame.locator('[data-testid="node-flatten1"]').wait_for()
    # Python's answer: the wire's shape label, then the card's own shape and badge
    frame.locator('[data-testid="edge-label-input1-flatten1"]').wait_for()
    page.wait_for_timeout(1000)  # the card's second measure, and a reveal's animated move
    boxes = settled(page, frame, ["input1", "flatten1"])
    page.screenshot(path=str(shots / "canvas-reveal-resized.png"))
    assert boxes["flatten1"]["width"] > FIRST_W * z + 4, "the card grew after its first measure"
    assert outside(pane, boxes, ["flatten1"]) == [], (pane, boxes["flatten1"])
