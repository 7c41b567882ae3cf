"""Search-to-add keeps a new block clear of the others, at a 1366×768 window, in a real browser
(Debian's Chromium driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

Building a Transformer from the screen, a wire dragged from the encoder's output and dropped a
little under it put the SequencePool right under the encoder, 10 px apart: the wire between them
curled back on itself, too short for its shape label, which showed as "…". A double-click just
under a block put the new card over that block's bottom edge. ui/canvas/frontend/src/placement.js
puts a block that would come that close beside its wire's other end (a gap that fits the label)
or below the cards it would touch.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    chain = [("input1", "Input", {"shape": [16, 32]}, [0, 0]),
             ("encoder", "TransformerEncoderLayer", {"nhead": 4, "dim_feedforward": 64},
              [260, 0])]
    return {"enc": linked("enc", chain), "dbl": linked("dbl", chain)}


def gap(a: dict, b: dict) -> float:
    """The clear space between two boxes (0 where they touch or overlap)."""
    dx = max(b["x"] - (a["x"] + a["width"]), a["x"] - (b["x"] + b["width"]), 0)
    dy = max(b["y"] - (a["y"] + a["height"]), a["y"] - (b["y"] + b["height"]), 0)
    return max(dx, dy)


def test_a_wire_dropped_just_under_its_block_adds_the_next_beside_it_with_its_label(
        app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["enc"], '[data-testid="node-encoder"]')
    page.wait_for_timeout(800)
    card = frame.locator('[data-testid="node-encoder"]').bounding_box()
    handle = frame.locator('[data-testid="node-encoder"] .react-flow__handle.source').first
    h = handle.bounding_box()
    x0, y0 = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
    x1, y1 = x0 - 20, card["y"] + card["height"] + 60  # a little under the encoder
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0, (y0 + y1) / 2, steps=6)
    page.mouse.move(x1, y1, steps=6)
    page.mouse.up()
    frame.locator('[data-testid="quick-add-search"]').fill("SequencePool")
    page.keyboard.press("Enter")
    frame.locator('[data-testid="node-sequencepool1"]').wait_for()
    label = frame.locator('[data-testid="edge-label-encoder-sequencepool1"]')
    expect(label).to_have_attribute("data-label", "16×32")
    boxes = settled(page, frame, ["encoder", "sequencepool1"])
    page.screenshot(path=str(shots / "canvas-quick-add-room.png"))
    assert gap(boxes["encoder"], boxes["sequencepool1"]) >= 40, boxes
    expect(label).to_have_text("16×32")  # whole, not "…"


def test_a_double_click_just_under_a_block_adds_the_new_one_clear_of_it(app_url, page,
                                                                        projects, shots):
    frame = open_project(page, app_url, projects["dbl"], '[data-testid="node-encoder"]')
    page.wait_for_timeout(800)
    card = frame.locator('[data-testid="node-encoder"]').bounding_box()
    page.mouse.dblclick(card["x"] + card["width"] / 2, card["y"] + card["height"] + 12)
    frame.locator('[data-testid="quick-add-search"]').fill("ReLU")
    page.keyboard.press("Enter")
    frame.locator('[data-testid="node-relu1"]').wait_for()
    boxes = settled(page, frame, ["encoder", "relu1"])
    page.screenshot(path=str(shots / "canvas-quick-add-below.png"))
    assert gap(boxes["encoder"], boxes["relu1"]) >= 30, boxes
