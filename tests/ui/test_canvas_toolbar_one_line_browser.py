"""The canvas toolbar in 1024×768, 1366×768 and 1920×1080 windows, the resnet-mini template open
(Chromium via Playwright, the app on a free port with a fresh ``LAYERLOOM_HOME``): one line, its
block count whole, with no block selected, one, then two.

At 1024 px the block count ('14 blocks · 1 selected') went onto a second line under the
buttons: below a 780 px frame the toolbar wrapped; above it the count shrank, its text running
past its box. The toolbar now gives up the hint, then the selection in the count (the
inspector's title says it; the count's tooltip has it) before it wraps, which it does only where
its buttons alone do not fit (src/toolbar.js); the palette, open or closed, leaves its width
alone (it spans the component above the palette).
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

WINDOWS = [(1024, 768), (1366, 768), (1920, 1080)]

# the toolbar's children drawn: [left, top, right, bottom], and its content box's right edge
TOOLBAR_JS = """el => {
  const kids = [...el.children].map(c => c.getBoundingClientRect())
    .filter(r => r.width > 0 && r.height > 0).map(r => [r.left, r.top, r.right, r.bottom]);
  const box = el.getBoundingClientRect();
  const right = box.left + el.clientLeft + el.clientWidth
    - parseFloat(getComputedStyle(el).paddingRight);
  return {kids, right};
}"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    # a project for each window: a project keeps the blocks selected in it
    return {f"resnet-{w}": load_template("resnet-mini") for w, _ in WINDOWS}


def _one_line(frame, width: int, what: str) -> None:
    bar = frame.locator(".ll-toolbar").evaluate(TOOLBAR_JS)
    kids = bar["kids"]
    tallest = max(b - t for _, t, _, b in kids)
    top = min(t for _, t, _, _ in kids)
    below = [k for k in kids if k[1] >= top + tallest]
    assert not below, f"at {width} px with {what} the toolbar wraps: {below} under {kids}"
    assert max(r for _, _, r, _ in kids) <= bar["right"] + 0.5, \
        f"at {width} px with {what} the toolbar runs past its side: {kids}, {bar['right']}"
    count = frame.locator('[data-testid="canvas-status"]')
    assert count.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), \
        f"at {width} px with {what} the block count is cut: {count.inner_text()!r}"


@pytest.mark.parametrize("width, height", WINDOWS)
def test_the_toolbar_stays_one_line_with_its_block_count(width, height, app_url, browser,
                                                        browser_page, projects, shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        frame = open_project(page, app_url, projects[f"resnet-{width}"],
                             '[data-testid="node-stem_bn"]')
        palette = frame.locator('[data-testid="palette-search"]')
        if palette.count():  # a wide window opens it; the count must fit beside it too
            expect(palette).to_be_visible()
        status = frame.locator('[data-testid="canvas-status"]')
        expect(status).to_have_text("14 blocks")
        _one_line(frame, width, "no selection")
        selected = frame.locator(".react-flow__node.selected")
        frame.locator('[data-testid="node-stem"]').click()
        expect(selected).to_have_count(1)
        page.wait_for_timeout(300)
        _one_line(frame, width, "a block selected")
        expect(status).to_have_attribute("title", "14 blocks · 1 selected")
        frame.locator('[data-testid="node-stage1"]').click(modifiers=["Shift"])
        expect(selected).to_have_count(2)
        page.wait_for_timeout(300)
        _one_line(frame, width, "two blocks selected")
        expect(status).to_have_attribute("title", "14 blocks · 2 selected")
        expect(status).to_contain_text("14 blocks")
        page.screenshot(path=str(shots / f"canvas-toolbar-two-selected-{width}.png"))
        if width >= 1920:  # room for the whole count
            expect(status).to_have_text("14 blocks · 2 selected")


