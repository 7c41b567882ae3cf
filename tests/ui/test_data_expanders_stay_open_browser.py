"""The Data page's expanders stay as the user left them: one opened is not closed by the page
(a real browser at 1366×768: Debian's Chromium driven by Playwright against the app on a free
port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

The dataset's "Options" opened itself to show a value out of range, and closed itself two runs
after the value was fixed, under the user typing the next option: the page drew it open only
while the run before had refused a value.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, linked

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

SAID = "noise must be between 0 and 10, got 20"


@pytest.fixture(scope="module")
def designs():
    design = linked("moons", [("input1", "Input", {"shape": [2]}),
                              ("linear1", "Linear", {"out_features": 2}),
                              ("output1", "Output", {})])
    design.extra["dataset"] = "moons"
    return {"moons": design}


def enter(page, name: str, text: str) -> None:
    box = page.get_by_label(name, exact=True)
    box.fill(text)
    box.press("Enter")


def test_options_opened_stay_open_after_a_value_is_fixed(app_url, page, projects):
    page.goto(f"{app_url}/data?project={projects['moons']}")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(
        timeout=3 * TIMEOUT_MS)
    expect(page.get_by_text("Samples: training / validation / test")).to_be_visible()  # moons, loaded
    noise = page.get_by_label("noise", exact=True)
    page.locator("summary", has_text="Options").click()
    expect(noise).to_be_visible()
    enter(page, "noise", "20")
    said = page.locator('[data-testid="stAlertContentError"]', has_text=SAID)
    expect(said).to_be_visible()
    enter(page, "noise", "0.1")
    expect(said).to_have_count(0)
    expect(page.get_by_text("Samples: training / validation / test")).to_be_visible()
    enter(page, "n samples", "300")  # the next option, in the expander still open
    expect(page.get_by_label("n samples", exact=True)).to_have_value("300")
    page.wait_for_timeout(2500)  # the page's runs done
    expect(noise).to_be_visible()
    expect(page.get_by_label("n samples", exact=True)).to_be_visible()
