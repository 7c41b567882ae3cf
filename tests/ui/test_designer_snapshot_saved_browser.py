"""Saving a snapshot says so inside the Snapshots menu, under the form, where nothing covers the
menu or the snapshot just saved (a real browser at 1366×768: Debian's Chromium driven by
Playwright against the app on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are
tests/ui/conftest.py's).

"Saved snapshot …" was a toast, which Streamlit puts in the window's top right corner: over the
Snapshots button and the top of its menu (the Name box and Save), a second save's toast over
the snapshot just saved.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import re

import pytest
from canvas_browser import mlp, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    return {"mlp": mlp()}


def covers(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_the_saved_snapshot_is_said_in_the_menu_and_nothing_covers_it(app_url, page, projects,
                                                                       shots):
    open_project(page, app_url, projects["mlp"], '[data-testid="node-linear1"]')
    page.get_by_role("button", name="Snapshots").click()
    menu = page.get_by_test_id("stPopoverBody")
    for count, name in enumerate(("before the wider head", "after"), start=1):
        menu.get_by_label("Name", exact=True).fill(name)
        menu.get_by_role("button", name="Save").click()
        expect(menu.get_by_text(f"Saved snapshot “{name}”")).to_be_visible()
        expect(menu.get_by_role("button", name="Restore")).to_have_count(count)
        # its row, the first, to restore: marked as the one just saved
        marked = menu.locator("p", has_text=re.compile(r"· saved$"))
        expect(marked).to_have_count(1)
        expect(marked).to_contain_text(name)
    page.wait_for_timeout(800)  # whatever else the save brings is on the page by now
    page.screenshot(path=str(shots / "snapshot-saved.png"))
    box = menu.bounding_box()
    toasts = page.get_by_test_id("stToast")
    over = [toasts.nth(i).inner_text() for i in range(toasts.count())
            if covers(toasts.nth(i).bounding_box(), box)]
    assert over == [], f"over the Snapshots menu: {over}"
