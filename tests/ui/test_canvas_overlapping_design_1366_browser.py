"""A design written with blocks partly over each other opens with every card readable, at a
1366×768 window, in a real browser (Debian's Chromium driven by Playwright against the designer
on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A script that wrote its blocks 60 px apart down a column (cards are taller than that) opened
with each card over the next, its title and params hidden: only blocks written at one spot were
laid out anew (layout.js ``unstack``). The canvas now moves such blocks apart by the least that
frees each, keeps the rest of the layout as written, and says so once (overlap.js
``spreadOverlaps``). It goes by the cards' measured sizes: a user's column of ReLU cards 5 px
apart stays as it is (by the estimated heights, 13 px taller, it overlapped and was moved).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, settled, zoom

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the tests are skipped where Playwright is missing
    PlaywrightTimeout = TimeoutError

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

CARDS_JS = """els => els.map(e => [e.dataset.id,
  ...Object.values(e.getBoundingClientRect().toJSON()).slice(0, 4)])"""


@pytest.fixture(scope="module")
def designs():
    chain = [("input1", "Input", {"shape": [4]}, [0, 0])]
    for i in range(1, 4):
        chain += [(f"linear{i}", "Linear", {"out_features": 16}, [20, 120 * i - 60]),
                  (f"relu{i}", "ReLU", {}, [20, 120 * i])]
    tight = [("input1", "Input", {"shape": [4]}, [0, 0])]
    tight += [(f"relu{i}", "ReLU", {}, [300, 58 * i]) for i in range(5)]
    return {"close": linked("close", [*chain, ("output1", "Output", {}, [600, 400])]),
            "tight": linked("tight", [*tight, ("output1", "Output", {}, [600, 0])])}


def test_blocks_written_partly_over_each_other_open_apart_and_are_told(
        app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["close"], '[data-testid="node-input1"]')
    told = frame.locator('[data-testid="canvas-toast"]')
    try:  # said at once, for a few seconds
        told.wait_for(timeout=10_000)
        said = told.all_inner_texts()
    except PlaywrightTimeout:
        said = []
    settled(page, frame, ["input1", "linear1", "output1"])
    page.screenshot(path=str(shots / "canvas-overlapping-design.png"))
    cards = {c[0]: c[1:] for c in frame.locator(".react-flow__node").evaluate_all(CARDS_JS)}
    assert len(cards) == 8
    boxes = list(cards.items())
    over = [(a, b) for i, (a, p) in enumerate(boxes) for b, q in boxes[i + 1:]
            if p[0] < q[0] + q[2] and q[0] < p[0] + p[2] and p[1] < q[1] + q[3]
            and q[1] < p[1] + p[3]]
    assert over == []
    # the column stays a column, under the Input, in its order
    xs = [cards[i][0] for i in ["linear1", "relu1", "linear2", "relu2", "linear3", "relu3"]]
    assert max(xs) - min(xs) < 1
    ys = [cards[i][1] for i in ["input1", "linear1", "relu1", "linear2", "relu2", "linear3"]]
    assert ys == sorted(ys)
    assert len(said) == 1 and "moved apart (linear1, relu1, linear2, …)" in said[0], said


def test_cards_a_few_pixels_apart_stay_where_the_user_put_them(app_url, page, projects):
    frame = open_project(page, app_url, projects["tight"], '[data-testid="node-relu4"]')
    boxes = settled(page, frame, ["relu0", "relu4"])
    page.wait_for_timeout(1000)
    tops = [boxes[f"relu{i}"]["y"] for i in range(5)]
    steps = [b - a for a, b in zip(tops, tops[1:])]
    assert all(abs(step - 58 * zoom(frame)) < 1 for step in steps), steps  # as written
    assert frame.locator('[data-testid="canvas-toast"]').count() == 0
    assert boxes["relu0"]["height"] < steps[0], "the cards are apart: the test needs them so"
