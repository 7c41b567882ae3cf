"""The pages' tiles (``st.metric``) show their values whole in a 1024×720 window, in a real
browser (Debian's Chromium driven by Playwright against the designer started on a free port
with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

The Data page's four tiles share the width: at 1024 px the input read "[1, 28, 28] f…" and the
split "3500 / 500 …", cut with an ellipsis. A tile's value and label now wrap onto another line
(ui/theme.py). Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"cnn": load_template("seed-cnn")}


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=45_000, viewport={"width": 1024, "height": 720}) as pg:
        yield pg


# each tile's text that runs past its box (cut, with an ellipsis or not)
CUT_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMetric"] [data-testid="stMarkdownContainer"]'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


def test_the_data_pages_tiles_are_whole_at_1024(app_url, page, projects, shots):
    from playwright.sync_api import expect

    page.goto(f"{app_url}/data?project={projects['cnn']}")
    tiles = page.locator('[data-testid="stMetric"]')
    expect(tiles).to_have_count(4, timeout=120_000)
    expect(tiles.nth(1)).to_contain_text("[1, 28, 28] float32")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "data-tiles-1024.png"))
    assert page.evaluate(CUT_JS) == []
