"""A training setting typed out of range on the Train page is said and stops Start, in a real
browser at 1366×768 (Debian's Chromium driven by Playwright against the app started on a free
port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

Typing 0 into epochs left '0' in the box with 'Press Enter to apply' and a red mark, while the
settings kept the epochs before it and Start stayed on: a run started then trained for a
number of epochs the page did not show. Now the page says "Epochs must be ≥ 1, got 0" and
Start is off until it is fixed, as an lr of 0 is said.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest
from layerloom.graph.templates import load_template

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    # a design that fits its data, so that Start is on until a setting turns it off
    return {"tabular": load_template("mlp-tabular")}


def test_epochs_of_zero_is_said_and_stops_start(app_url, page, projects, shots):
    page.goto(f"{app_url}/train?project={projects['tabular']}")
    # the module's first page: its first load imports torch and the runtime, which on a loaded
    # 2-core machine takes longer than an action's 20 s (CI's rerun found main still empty)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled(timeout=120_000)
    epochs = page.get_by_label("Epochs", exact=True)
    expect(epochs).to_have_value("10")
    epochs.fill("0")
    epochs.press("Enter")
    expect(page.get_by_text("Epochs must be ≥ 1, got 0", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    page.screenshot(path=str(shots / "train-epochs-out-of-range.png"))
    epochs.fill("3")
    epochs.press("Enter")
    expect(page.get_by_text("Epochs must be ≥ 1, got 0", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()


def test_a_beta_of_one_and_a_half_is_said_and_stops_start(app_url, page, projects, shots):
    # the two betas boxes handed 0 to 0.9999 to the browser, which refused 1.5 silently
    page.goto(f"{app_url}/train?project={projects['tabular']}")
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
    page.get_by_text("More settings").click()
    second = page.get_by_label("Adam's averaging rates (2)", exact=True)
    expect(second).to_have_value("0.999")
    second.fill("1.5")
    second.press("Enter")
    said = page.get_by_text("Adam's averaging rates (betas) must be two numbers in [0, 1), "
                            "got (0.9, 1.5)", exact=True)
    expect(said).to_be_visible()
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    page.get_by_role("button", name="Start training").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "train-betas-out-of-range.png"))
    expect(page.get_by_text("Start is off until this is fixed: Adam's averaging rates (betas) "
                            "must be")).to_be_visible()
    second.fill("0.99")
    second.press("Enter")
    expect(said).to_have_count(0)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
