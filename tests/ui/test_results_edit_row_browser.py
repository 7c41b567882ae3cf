"""Results → Try it → Edit a row, in a real browser at 1366×768: a table's column of categories
is a drop-down of its categories (region: east, north, …), and the row edited there is
predicted as the same row uploaded as a CSV is. The row was the model's one-hot 0/1 columns
(region=east, region=north, …), to be kept consistent by hand.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import numpy as np
import pytest
from canvas_browser import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

REGIONS = ["north", "south", "east", "west"]


@pytest.fixture(scope="module")
def table(app_home):
    rows = [f"{20 + i % 50},{30000 + 211 * i},{REGIONS[i % 4]},"
            f"{300 + 2 * (i % 50) + 90 * REGIONS.index(REGIONS[i % 4]):.2f}" for i in range(120)]
    csv = app_home / "spend.csv"
    csv.write_text("age,income,region,spend\n" + "\n".join(rows) + "\n")
    return csv


@pytest.fixture(scope="module")
def designs(app_home, table):
    """The design, and one run of it trained on the table (before the app starts)."""
    from layerloom.graph.templates import load_template
    from layerloom.runtime import RunStore, train

    design = load_template("mlp-tabular")
    design.variables.update(features=6, classes=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERLOOM_HOME", str(app_home))
        train(design, {"source": str(table)}, {"epochs": 2}, store=RunStore())
    return {"spend": design}


def first_test_row(table) -> dict:
    """The row Edit a row starts from: the first test sample, in the file's columns."""
    from layerloom.runtime import load_dataset
    from layerloom.ui.predict import shown

    ds = load_dataset(str(table))
    age, income, *hot = shown(ds.x_test[:1], ds)[0]  # age, income, then region one-hot
    [region] = [c for c in ds.meta["columns"] if c["name"] == "region"]
    return {"age": float(age), "income": float(income),
            "region": region["categories"][int(np.argmax(hot))]}


def prediction(page) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="prediction")
    expect(metric).to_be_visible()
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_a_category_is_chosen_by_name_and_predicted_as_an_uploaded_row(
        app_url, page, projects, table, tmp_path, shots):
    page.goto(f"{app_url}/results?project={projects['spend']}")
    expect(page.get_by_role("heading", name="Try it")).to_be_visible(timeout=3 * TIMEOUT_MS)
    row = first_test_row(table)
    assert row["region"] in REGIONS
    other = next(r for r in REGIONS if r != row["region"])
    before = prediction(page)
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    option = page.get_by_role("option", name=other, exact=True)
    shown_value = (page.locator('[data-testid="stMetric"]', has_text="prediction")
                   .locator('[data-testid="stMetricValue"]'))
    for attempt in range(3):  # a choice made while the page redraws the grid can be lost
        for _ in range(5):  # a click while the page still redraws the grid is lost: again
            # the header row, then the one row: its last column is region
            page.mouse.click(box["x"] + box["width"] - 40, box["y"] + 53)
            page.keyboard.press("Enter")
            try:
                expect(option).to_be_visible(timeout=4000)
                break
            except AssertionError:
                page.keyboard.press("Escape")
        option.click()
        try:
            expect(shown_value).not_to_have_text(before)
            break
        except AssertionError:
            if attempt == 2:
                raise
    edited = prediction(page)
    page.screenshot(path=str(shots / "results-edit-row-category.png"))
    upload = tmp_path / "row.csv"
    upload.write_text(f"age,income,region\n{row['age']!r},{row['income']!r},{other}\n")
    page.get_by_text("Upload a row").click()
    page.locator('input[type="file"]').last.set_input_files(str(upload))
    expect(page.get_by_text("row.csv")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]', has_text="prediction")
           .locator('[data-testid="stMetricValue"]')).to_have_text(edited)
    assert np.isfinite(float(edited.replace(",", "")))
