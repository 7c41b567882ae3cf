"""Export page in a 1024×720 window (Chromium via Playwright): the page's main button says its
words whole. Its column, a fifth of the page, cut it to "Build and check the fi…".
Skipped where Chromium or Playwright is missing."""

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


# every element of the button whose text runs past its box (cut, with an ellipsis or not)
CUT_JS = """el => Array.from(el.querySelectorAll('*')).concat([el])
    .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
    .map(e => e.tagName + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


def test_build_and_check_the_files_is_whole_at_1024(app_url, page, projects, shots):
    page.goto(f"{app_url}/export?project={projects['cnn']}")
    button = page.get_by_role("button", name="Build and check the files", exact=True)
    button.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "export-1024.png"))
    assert button.evaluate(CUT_JS) == []
