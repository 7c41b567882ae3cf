"""Export page at a laptop's 1366×768 window (Chromium via Playwright): a format's Download
button names the file it gives, whole. Six rows of "Download" told the python row's zip of code
and weights from the others only by its row; named, in the narrow column the rows had, the
python file's name was cut ("Download seed-cnn-run2-py…")."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    graph.name = "digits-cnn-v2"  # as long a file name as a run's (seed-cnn-run2-python.zip)
    return {"cnn": graph}


# every element of the button whose text runs past its box (cut, with an ellipsis or not)
CUT_JS = """el => Array.from(el.querySelectorAll('*')).concat([el])
    .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
    .map(e => e.tagName + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


def test_the_python_download_names_its_zip_whole(app_url, page, projects, patient_expect):
    from playwright.sync_api import expect

    page.goto(f"{app_url}/?project={projects['cnn']}")
    page.get_by_role("link", name="Export", exact=True).click(timeout=120_000)
    page.get_by_role("heading", name="Export", exact=True).wait_for()
    row = page.locator('[data-testid="stHorizontalBlock"]').filter(
        has=page.get_by_text("python", exact=True)).filter(has_text="PyTorch code you can read and change")
    row.get_by_role("button", name="Build and check", exact=True).click()
    button = page.get_by_role("button", name="Download digits-cnn-v2-python.zip", exact=True)
    button.wait_for(timeout=180_000)
    expect(button).to_be_visible()
    assert button.evaluate(CUT_JS) == []
    box = button.bounding_box()
    assert box["x"] + box["width"] <= 1366
