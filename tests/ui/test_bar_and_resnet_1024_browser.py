"""A newcomer's first look at 1024×768, 1366×768 and 1440×900 windows (Chromium via Playwright,
the app on a free port with a fresh ``LAYERLOOM_HOME``).

- The project bar (LayerLoom, the project picker, New, Design, Open, JSON, Snapshots, Dark theme)
  is one line. At 1024 px Snapshots and the Dark theme switch went onto a second line: the page's
  sides were Streamlit's 5rem, the picker 300 px.
- The resnet-mini template opens with its three columns whole across the canvas at the readable
  zoom, its wires too, and its rows far enough apart for the wire that wraps from one row to the
  next to run between them. At 1024 px its third column (stem_bn, stage1_rest, stage3, flat) was
  cut at the pane's right edge; at every width its rows touched (stage1_rest's bottom 2 px from
  stage3's top), so the wrapping wires cut across the cards instead.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

WINDOWS = [(1024, 768), (1366, 768), (1440, 900)]
READABLE = 0.75
BAND_GAP = 44  # layout.js: between wrapped rows, where the wires from a row to the next run

# each child of the project bar: [left, top, right, bottom]
BAR_JS = """() => [...document.querySelector('.st-key-appbar').children]
  .map(c => c.getBoundingClientRect())
  .filter(r => r.width > 0 && r.height > 0)
  .map(r => [r.left, r.top, r.right, r.bottom])"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"resnet": load_template("resnet-mini")}


@pytest.mark.parametrize("width, height", WINDOWS)
def test_the_project_bar_is_one_line(width, height, app_url, browser, browser_page, projects,
                                     shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/?project={projects['resnet']}")
        toggle = page.locator(".st-key-appbar").get_by_text("Dark theme")
        toggle.wait_for(timeout=3 * TIMEOUT_MS)
        expect(page.locator(".st-key-appbar").get_by_text("Snapshots")).to_be_visible()
        page.wait_for_timeout(500)
        items = page.evaluate(BAR_JS)
        assert len(items) >= 8, items  # LayerLoom, picker, New, Design, Open, JSON, Snapshots…
        tallest = max(b - t for _, t, _, b in items)
        top = min(t for _, t, _, _ in items)
        below = [i for i, (_, t, _, _) in enumerate(items) if t >= top + tallest]
        assert not below, f"at {width} px the project bar wraps: items {below} of {items}"
        assert max(r for _, _, r, _ in items) <= width, f"the bar runs past the window: {items}"
        page.screenshot(path=str(shots / f"app-bar-one-line-{width}.png"))


@pytest.mark.parametrize("width, height", WINDOWS)
def test_resnet_mini_reads_across_the_canvas(width, height, app_url, browser, browser_page,
                                             projects, shots):
    from layerloom.graph.templates import load_template

    ids = [n.id for n in load_template("resnet-mini").nodes]
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        frame = open_project(page, app_url, projects["resnet"], '[data-testid="node-stem_bn"]')
        boxes = settled(page, frame, ids)
        page.screenshot(path=str(shots / f"designer-resnet-mini-{width}.png"))
        pane = frame.locator(".react-flow__pane").bounding_box()
        left, right = pane["x"] - 0.5, pane["x"] + pane["width"] + 0.5
        assert zoom(frame) >= READABLE, "shrunk below the readable zoom"
        cut = [i for i in ids if boxes[i]["x"] < left
               or boxes[i]["x"] + boxes[i]["width"] > right]
        assert not cut, f"cut at the pane's side at {width} px: {cut}"
        wires = [w.bounding_box() for w in frame.locator(".react-flow__edge-path").all()]
        past = [w for w in wires if w and (w["x"] < left or w["x"] + w["width"] > right)]
        assert not past, f"wires past the pane's side at {width} px: {past}"
        # a card over or under another in its column: a row's gap apart, for the wires
        gap = BAND_GAP * zoom(frame) - 1
        close = [(a, b) for a in ids for b in ids
                 if boxes[a]["x"] < boxes[b]["x"] + boxes[b]["width"]
                 and boxes[b]["x"] < boxes[a]["x"] + boxes[a]["width"]
                 and boxes[a]["y"] < boxes[b]["y"]
                 and boxes[b]["y"] - (boxes[a]["y"] + boxes[a]["height"]) < gap]
        assert not close, f"rows too close for their wires at {width} px: {close}"
