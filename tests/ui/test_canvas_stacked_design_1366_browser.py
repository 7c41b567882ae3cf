"""A design written by a script with every block at one spot opens laid out, at a 1366×768
window, in a real browser (Debian's Chromium driven by Playwright against the designer on a
free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A generator that writes ``"position": [0, 0]`` for every node (valid JSON, and the format takes
any position) opened as a pile of cards on one spot, the last drawn over all the others. The
canvas now places anew the blocks that share a spot when a design arrives (layout.js
``unstack``); an edit's positions stay the user's.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

CARDS_JS = """els => els.map(e => [e.dataset.id,
  ...Object.values(e.getBoundingClientRect().toJSON()).slice(0, 4)])"""


@pytest.fixture(scope="module")
def designs():
    chain = [("input1", "Input", {"shape": [4]}, [0, 0])]
    for i in range(1, 5):
        chain += [(f"linear{i}", "Linear", {"out_features": 16}, [0, 0]),
                  (f"relu{i}", "ReLU", {}, [0, 0])]
    return {"stacked": linked("stacked", [*chain, ("output1", "Output", {}, [0, 0])])}


def test_blocks_written_at_one_spot_open_apart(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["stacked"], '[data-testid="node-input1"]')
    settled(page, frame, ["input1", "linear1", "output1"])
    page.screenshot(path=str(shots / "canvas-stacked-design.png"))
    cards = frame.locator(".react-flow__node").evaluate_all(CARDS_JS)
    assert len(cards) == 10
    over = [(a[0], b[0]) for i, a in enumerate(cards) for b in cards[i + 1:]
            if a[1] < b[1] + b[3] and b[1] < a[1] + a[3] and a[2] < b[2] + b[4]
            and b[2] < a[2] + a[4]]
    assert over == []
