"""A composite block's inspector at 1024×768 and 1366×768 (Chromium via Playwright): its
"Open block" and "Ungroup" buttons read whole. In two columns of the side panel they were cut
to "Open …" and "Ungro…" at 1024 px, where a newcomer who had just grouped blocks looked for
the way back."""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

# each button's label: [its text, the width it needs, the width it is shown in]
LABELS_JS = """names => names.map(name => {
    const button = Array.from(document.querySelectorAll('button'))
        .find(b => b.innerText.trim().endsWith(name));
    if (!button) return [name, null, null];
    const text = button.querySelector('[data-testid="stMarkdownContainer"]') || button;
    return [button.innerText.trim(), text.scrollWidth, text.clientWidth];
})"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"resnet": load_template("resnet-mini")}


@pytest.mark.parametrize("width", [1024, 1366])
def test_open_block_and_ungroup_read_whole(width, app_url, browser, browser_page, projects,
                                           shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": 768}) as page:
        frame = open_project(page, app_url, projects["resnet"], '[data-testid="node-stage1"]')
        frame.locator('[data-testid="node-stage1"] .ll-head').click()
        expect(page.get_by_role("button", name="Ungroup")).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / f"composite-buttons-{width}.png"))
        labels = page.evaluate(LABELS_JS, ["Open block", "Ungroup"])
        for text, needed, shown in labels:
            assert needed is not None, f"no button {text!r}"
            assert needed <= shown, f"{text!r} is cut: {needed} px in {shown}"
