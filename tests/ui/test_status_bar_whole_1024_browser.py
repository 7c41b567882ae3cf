"""The status bar stays one line, whole on screen, at a 1024×768 window when it holds errors and
warnings (Debian's Chromium driven by Playwright against the designer on a free port with a
fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

With '1 error' and '1 warning' in it, the params and MACs '–' with their help marks, the bar had
more than the width beside the inspector: 'activations per sample' went onto a second line,
below the window's edge, the bar's lower half with it.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, linked, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

WINDOW = {"width": 1024, "height": 768}

# the bar's box and each of its items' [left, top, right, bottom], with its text
BAR_JS = """() => {
  const bar = document.querySelector('.st-key-statusbar');
  const box = bar.getBoundingClientRect();
  const items = [...bar.children].map(c => [c.getBoundingClientRect(), c.innerText])
    .filter(([r]) => r.width > 0 && r.height > 0)
    .map(([r, t]) => [r.left, r.top, r.right, r.bottom, t]);
  return {bar: [box.left, box.top, box.right, box.bottom], items}; }"""


def faults(name: str, errors: int):
    """``errors`` Linears of out_features 0 (an error each, counts shown '–'), and a Softmax
    before the output (a warning)."""
    chain = [("input1", "Input", {"shape": [4]})]
    chain += [(f"bad{i}", "Linear", {"out_features": 0}) for i in range(1, errors + 1)]
    return linked(name, [*chain, ("linear1", "Linear", {"out_features": 3}),
                         ("softmax1", "Softmax", {}), ("output1", "Output", {})])


@pytest.fixture(scope="module")
def designs():
    # and a valid design of 8-digit params, MACs in M and activations in KiB, with warnings
    big = linked("big", [("input1", "Input", {"shape": [4096]}),
                         ("linear1", "Linear", {"out_features": 4096}),
                         ("linear2", "Linear", {"out_features": 4096}),
                         ("softmax1", "Softmax", {}), ("output1", "Output", {})])
    return {"one": faults("one", 1), "many": faults("many", 12), "big": big}


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=WINDOW) as pg:
        yield pg


@pytest.mark.parametrize("design, verdict", [("one", "1 error"), ("many", "12 errors"),
                                             ("big", "valid")])
def test_the_status_bar_with_errors_and_warnings_is_one_line_in_the_window(
        design, verdict, app_url, page, projects, shots):
    open_project(page, app_url, projects[design], '[data-testid="node-linear1"]')
    bar = page.locator(".st-key-statusbar")
    expect(bar.get_by_text("warning").first).to_be_visible()
    expect(bar.get_by_text("activations per sample")).to_be_visible()
    page.wait_for_timeout(500)
    seen = page.evaluate(BAR_JS)
    page.screenshot(path=str(shots / f"status-bar-{design}-1024.png"))
    left, top, right, bottom = seen["bar"]
    items = seen["items"]
    texts = " ".join(t for *_, t in items)
    assert verdict in texts and "warning" in texts and "activations per sample" in texts
    # one line: every item starts above the bottom of the first
    first_bottom = min(b for _, _, _, b, _ in items)
    assert [t for _, t0, _, _, t in items if t0 >= first_bottom] == [], items
    # whole in the window and inside its own box
    assert bottom <= WINDOW["height"], seen
    assert all(r <= right + 0.5 for _, _, r, _, _ in items), seen
