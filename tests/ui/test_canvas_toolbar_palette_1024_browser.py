"""The canvas toolbar in a 1024×768 window with the block palette open and closed (Chromium via
Playwright, the app on a free port with a fresh ``LAYERLOOM_HOME``): one line, every button on
it whole, and the block count beside them.

With the palette open the toolbar had the 476 px right of the palette, and its buttons need
about 530: 'Fit view', − and + and the count went onto a second line, pushing the canvas down.
The toolbar now spans the whole component above the palette and the canvas, so the palette's
opening leaves it as wide as it was.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

BUTTONS = ["btn-palette", "btn-undo", "btn-redo", "btn-delete", "btn-group", "btn-layout",
           "btn-fit", "btn-zoom-out", "btn-zoom-in"]

# the toolbar's box, its content box's right edge and each drawn child's [left, top, right, bottom]
TOOLBAR_JS = """el => {
  const box = el.getBoundingClientRect();
  const right = box.left + el.clientLeft + el.clientWidth
    - parseFloat(getComputedStyle(el).paddingRight);
  const kids = [...el.children].map(c => c.getBoundingClientRect())
    .filter(r => r.width > 0 && r.height > 0).map(r => [r.left, r.top, r.right, r.bottom]);
  return {box: [box.left, box.top, box.right, box.bottom], right, kids};
}"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"resnet": load_template("resnet-mini")}


def _one_line(frame, what: str) -> dict:
    bar = frame.locator(".ll-toolbar").evaluate(TOOLBAR_JS)
    kids = bar["kids"]
    tallest = max(b - t for _, t, _, b in kids)
    top = min(t for _, t, _, _ in kids)
    below = [k for k in kids if k[1] >= top + tallest]
    assert not below, f"with {what} the toolbar wraps: {below} under {kids}"
    assert max(r for _, _, r, _ in kids) <= bar["right"] + 0.5, \
        f"with {what} the toolbar runs past its side: {kids}, {bar['right']}"
    for testid in BUTTONS:
        button = frame.locator(f'[data-testid="{testid}"]')
        expect(button).to_be_visible()
        b = button.bounding_box()
        assert bar["box"][0] - 0.5 <= b["x"] and b["x"] + b["width"] <= bar["right"] + 0.5, \
            f"with {what} {testid} is not whole on the toolbar: {b}, {bar}"
    count = frame.locator('[data-testid="canvas-status"]')
    expect(count).to_be_visible()
    assert count.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), \
        f"with {what} the block count is cut: {count.inner_text()!r}"
    return bar


def test_the_toolbar_keeps_one_line_with_the_palette_open_at_1024(app_url, browser,
                                                                  browser_page, projects, shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as page:
        frame = open_project(page, app_url, projects["resnet"], '[data-testid="node-stem_bn"]')
        search = frame.locator('[data-testid="palette-search"]')
        status = frame.locator('[data-testid="canvas-status"]')
        expect(status).to_have_text("14 blocks")
        if search.count():  # the 1024 px window opens with the palette closed; close it if not
            frame.locator('[data-testid="btn-palette"]').click()
            expect(search).to_have_count(0)
        closed = _one_line(frame, "the palette closed")
        flow_closed = frame.locator(".ll-flow").bounding_box()

        frame.locator('[data-testid="btn-palette"]').click()
        expect(search).to_be_visible()
        expect(frame.locator('[data-testid="btn-palette"]')).to_have_text("‹ Blocks")
        page.wait_for_timeout(300)  # the toolbar is measured after the render
        opened = _one_line(frame, "the palette open")
        assert opened["box"] == closed["box"], \
            f"the palette's opening changed the toolbar: {closed['box']} → {opened['box']}"
        flow = frame.locator(".ll-flow").bounding_box()
        assert abs(flow["y"] - flow_closed["y"]) <= 0.5, \
            f"the canvas moved down as the palette opened: {flow_closed} → {flow}"
        palette = frame.locator(".ll-palette").bounding_box()
        assert palette["y"] >= opened["box"][3] - 0.5, \
            f"the palette runs up beside the toolbar: {palette}, {opened['box']}"

        frame.locator('[data-testid="node-stem"]').click()
        expect(frame.locator(".react-flow__node.selected")).to_have_count(1)
        page.wait_for_timeout(300)
        _one_line(frame, "the palette open and a block selected")
        expect(status).to_contain_text("14 blocks")
        page.screenshot(path=str(shots / "canvas-toolbar-palette-open-1024.png"))
