"""The canvas's pop-ups stand whole inside the pane at a 1366×768 window, in a real browser
(Debian's Chromium driven by Playwright against the designer started on a free port with a
fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- A right-click on a block near the pane's right edge opened its menu cut off there: it read
  "Dupli", "Copy", "Delet". The menu now moves left as far as it needs.
- A double-click near the right edge opened search-to-add 38 px past it (it was clamped by a
  guess of 262 px for its 300 px box), and focusing its box scrolled the whole canvas sideways:
  the palette read "earch blocks…", "TIVATION". popup.js ``keepInside``.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


def _mlp():
    """Input[4] → Linear → ReLU → Output in a row, the ReLU at the pane's right edge."""
    chain = [("input1", "Input", {"shape": [4]}, [20, 40]),
             ("linear1", "Linear", {"out_features": 16}, [220, 40]),
             ("relu1", "ReLU", {}, [420, 40]),
             ("output1", "Output", {}, [40, 300])]
    return linked("mlp", chain)


@pytest.fixture(scope="module")
def designs():
    return {"mlp": _mlp()}


def _open(page, url: str, pid: str):
    frame = open_project(page, url, pid, '[data-testid="node-relu1"]')
    page.wait_for_timeout(500)
    return frame


def _whole_inside(box: dict, pane: dict) -> bool:
    return (box["x"] >= pane["x"] - 0.5 and box["y"] >= pane["y"] - 0.5
            and box["x"] + box["width"] <= pane["x"] + pane["width"] + 0.5
            and box["y"] + box["height"] <= pane["y"] + pane["height"] + 0.5)


def _scrolled(frame) -> list[str]:
    """The elements of the canvas scrolled away from their start (none should be)."""
    return frame.locator(".ll-root").evaluate(
        "root => [root, ...root.querySelectorAll('*')]"
        ".filter(e => e.scrollLeft > 0 || e.scrollTop > 0).map(e => e.className)")


def test_a_blocks_menu_at_the_right_edge_reads_whole(app_url, page, projects, shots):
    frame = _open(page, app_url, projects["mlp"])
    pane = frame.locator(".ll-flow").bounding_box()
    relu = frame.locator('[data-testid="node-relu1"]')
    # the block reaches the pane's right edge (the canvas shows the design at its place)
    box = relu.bounding_box()
    x = min(box["x"] + box["width"] - 8, pane["x"] + pane["width"] - 12)
    page.mouse.click(x, box["y"] + 14, button="right")
    menu = frame.locator('[data-testid="canvas-menu"]')
    expect(menu).to_be_visible()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "canvas-block-menu-at-the-edge.png"))
    assert _whole_inside(menu.bounding_box(), pane), (menu.bounding_box(), pane)
    delete = menu.get_by_role("menuitem", name="Delete")
    assert _whole_inside(delete.bounding_box(), pane)
    assert _scrolled(frame) == []
    page.keyboard.press("Escape")


def test_search_to_add_near_the_right_edge_stands_inside_and_scrolls_nothing(
        app_url, page, projects, shots):
    frame = _open(page, app_url, projects["mlp"])
    pane = frame.locator(".ll-flow").bounding_box()
    palette_search = frame.locator('[data-testid="palette-search"]').bounding_box()
    # empty canvas 15 px from the right edge, low in the pane
    page.mouse.dblclick(pane["x"] + pane["width"] - 15, pane["y"] + pane["height"] - 40)
    quick = frame.locator('[data-testid="quick-add"]')
    expect(frame.locator('[data-testid="quick-add-search"]')).to_be_focused()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "canvas-quick-add-at-the-edge.png"))
    assert _whole_inside(quick.bounding_box(), pane), (quick.bounding_box(), pane)
    assert _scrolled(frame) == []
    # the palette did not move: its search box is where it was
    assert frame.locator('[data-testid="palette-search"]').bounding_box() == palette_search
    # it adds where it was opened, as before
    page.keyboard.type("Dropout")
    page.keyboard.press("Enter")
    expect(frame.locator('[data-testid="node-dropout1"]')).to_be_visible()
