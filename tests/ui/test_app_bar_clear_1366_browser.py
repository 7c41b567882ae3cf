"""The project bar (LayerLoom, the project picker, New, Design, Open…) sits whole below the
navigation bar on every page, on a first visit and on every later one, at 1366×768 and
1440×900 (Chromium via Playwright). Before, only a browser's first page had it so: that page
also drew the script setting the browser's id cookie, an empty element whose gap pushed the bar
down; on every later page the bar's top 9 px were under the navigation bar (the picker's and
the buttons' top edges hidden)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

PAGES = ["", "data", "train", "results", "runs", "export"]

# [the navigation bar's bottom, the project bar's top and bottom], in px from the window's top
PLACES_JS = """() => {
  const header = document.querySelector('header[data-testid="stHeader"]')
      || document.querySelector('header');
  const bar = document.querySelector('.st-key-appbar');
  if (!header || !bar) return null;
  const box = bar.getBoundingClientRect();
  return [header.getBoundingClientRect().bottom, box.top, box.bottom];
}"""


def _settled(page):
    """The places once the page is drawn: the same twice running, half a second apart (while
    a page loads, its skeletons and the page before it come and go above the bar)."""
    page.wait_for_function("() => !document.querySelector("
                           "'[data-stale=\"true\"], [data-testid=\"stSkeleton\"]')",
                           timeout=60_000)
    last = None
    for _ in range(40):
        page.wait_for_timeout(500)
        places = page.evaluate(PLACES_JS)
        if places is not None and places == last:
            return places
        last = places
    return last


@pytest.mark.parametrize("width, height", [(1366, 768), (1440, 900)])
def test_the_project_bar_is_below_the_navigation_on_every_page(width, height, app_url, browser,
                                                                browser_page, shots):
    with browser_page(browser, timeout_ms=60_000,
                      viewport={"width": width, "height": height}) as page:
        tops = {}
        for visit, name in enumerate(["", *PAGES]):  # the first visit sets the cookie
            page.goto(f"{app_url}/{name}")
            page.locator(".st-key-appbar").wait_for(timeout=120_000)
            places = _settled(page)
            assert places, f"no navigation or project bar on /{name}"
            header, top, bottom = places
            assert top >= header + 4, (f"/{name} (visit {visit + 1}): the project bar's top is "
                                       f"at {top:.0f} px, under the navigation bar ({header:.0f})")
            tops[(visit, name)] = top
            if visit == 2:
                page.screenshot(path=str(shots / f"app-bar-{width}.png"))
        assert len({round(t) for t in tops.values()}) == 1, f"the bar moves: {tops}"
        # the script whose element takes no room still ran: the browser keeps its id
        assert any(c["name"].startswith("layerloom") for c in page.context.cookies())
