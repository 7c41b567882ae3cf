"""The Train page's metric to watch shows its choice whole in a 1024 px window, in a real browser
(Debian's Chromium driven by Playwright against the app started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

The first settings sit in five equal columns; at 1024 px the metric's box read "Validation
accurac", the rest cut off. Its column is a little wider than the others now, which also
holds "Learning-rate schedule" above it. Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest

from layerloom.graph.templates import load_template

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

@pytest.fixture(scope="module")
def designs():
    return {"tabular": load_template("mlp-tabular")}


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=45_000, viewport={"width": 1024, "height": 768}) as pg:
        yield pg


def test_each_metric_to_watch_shows_whole_at_1024(app_url, page, projects, shots):
    page.goto(f"{app_url}/train?project={projects['tabular']}")
    box = page.get_by_role("combobox", name="Metric to watch")
    expect(box).to_have_value("Validation loss")
    for words in ("Validation accuracy", "Training accuracy", "Validation loss"):
        box.click()
        page.get_by_role("option", name=words, exact=True).click()
        expect(box).to_have_value(words)
        # the width the words need beyond the box's own: 0 where they show whole
        over = box.evaluate("(input) => input.scrollWidth - input.clientWidth")
        if words == "Validation accuracy":
            page.screenshot(path=str(shots / "train-metric-1024.png"))
        assert over <= 0, f"{words!r} is cut by {over} px at 1024 px"
