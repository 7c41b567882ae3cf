"""A validation share typed out of range on the Data page is said below its box, and the Train
page does not start on the data, in a real browser at 1366×768 (Debian's Chromium driven by
Playwright against the app started on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures
are tests/ui/conftest.py's).

Typing 0.95 into the validation share left it in the box with 'Press Enter to apply', Enter did
nothing, and the page (and Train) kept the split before it without a word. Now the page says
"validation share must be between 0 and 0.9, got 0.95", loads nothing from it, and Start is off
until it is fixed.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, mlp

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

SAID = "validation share must be between 0 and 0.9, got 0.95"


@pytest.fixture(scope="module")
def designs():
    design = mlp()  # Input[4] … Linear(3): iris, which Start trains on once the split is fixed
    design.extra["dataset"] = "iris"
    return {"mlp": design}


def open_split(page):
    """The validation share's box, once the "Split and seed" expander is open and stays so: a
    click made while the page's first runs finish is lost, or undone by a run that redraws the
    expander closed, so it is clicked again until the box shows for two seconds on end."""
    share = page.get_by_label("validation share", exact=True)
    for _ in range(6):
        if not share.is_visible():
            page.locator("summary", has_text="Split and seed").click()
        try:
            expect(share).to_be_visible(timeout=3000)
        except AssertionError:
            continue
        page.wait_for_timeout(2000)
        if share.is_visible():
            return share
    expect(share).to_be_visible()
    return share


def test_a_share_out_of_range_is_said_and_stops_start(app_url, page, projects, shots):
    page.goto(f"{app_url}/data?project={projects['mlp']}")
    # a first load is slow on a loaded machine: three times an action's patience
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(
        timeout=3 * TIMEOUT_MS)
    expect(page.get_by_text("Samples: training / validation / test")).to_be_visible()  # iris, loaded
    share = open_split(page)
    expect(share).to_have_value("0.10")
    share.fill("0.95")
    share.press("Enter")
    said = page.locator('[data-testid="stAlertContentError"]', has_text=SAID)
    expect(said).to_be_visible()
    expect(share).to_have_value("0.95")
    expect(page.get_by_text("Samples: training / validation / test")).to_have_count(0)  # nothing loaded from it
    page.screenshot(path=str(shots / "data-share-out-of-range.png"))

    page.locator('[data-testid="stTopNavLink"]', has_text="Train").first.click()
    start = page.get_by_role("button", name="Start training")
    expect(start).to_be_disabled()
    expect(page.get_by_text(SAID, exact=False).first).to_be_visible()

    page.locator('[data-testid="stTopNavLink"]', has_text="Data").first.click()
    expect(said).to_be_visible()  # still refused, still said
    share = page.get_by_label("validation share", exact=True)
    share.fill("0.25")
    share.press("Enter")
    expect(said).to_have_count(0)
    expect(page.get_by_text("Samples: training / validation / test")).to_be_visible()
    page.locator('[data-testid="stTopNavLink"]', has_text="Train").first.click()
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
