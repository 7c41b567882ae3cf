"""A focused box has a blue border, not the theme's primary red, which reads as an error: in a
real browser at 1280×720 (Debian's Chromium driven by Playwright against the app on a free port
with a fresh ``LAYERLOOM_HOME``), the inspector's text and number boxes and the project switcher,
focused. Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest

from layerloom.ui.theme import FOCUS

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
# the colour of the focused box's bordered element, from the focused input up
BORDER = """() => {
  for (let e = document.activeElement; e; e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (cs.borderTopWidth !== "0px") return cs.borderTopColor;
  }
  return null;
}"""


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1280, "height": 720}) as pg:
        yield pg


def test_a_focused_box_has_a_blue_border_not_the_error_red(app_url, page):
    page.goto(app_url)
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-conv1"]').wait_for(timeout=3 * TIMEOUT_MS)
    frame.locator('[data-testid="node-conv1"]').click()
    page.get_by_label("kernel_size", exact=True).first.click()  # a text box (it takes =expr)
    page.wait_for_timeout(300)  # the border's transition
    assert page.evaluate(BORDER) == _rgb(FOCUS)
    page.get_by_test_id("stNumberInputField").first.click()  # a number box of the inspector
    page.wait_for_timeout(300)
    assert page.evaluate(BORDER) == _rgb(FOCUS)
    page.get_by_test_id("stSelectbox").first.click()  # the project switcher
    page.wait_for_timeout(300)
    assert page.evaluate(BORDER) == _rgb(FOCUS)
    page.keyboard.press("Escape")
