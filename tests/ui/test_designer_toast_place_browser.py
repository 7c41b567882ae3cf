"""A toast never covers the canvas, in a real browser (Debian's Chromium driven by Playwright
against the app on a free port with a fresh ``LAYERLOOM_HOME``): after New → seed-cnn, whose
success is a toast, the toast lies right of the canvas's frame (so a stack of them does too),
over no block, at 1024×720, 1280×720 and 1440×900. (Streamlit's 21rem toast reached over the
canvas's right edge in a window narrower than about 1150 px.) Screenshots ``toast-*.png`` go to
the screenshots folder (``shots``, tests/ui/conftest.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
SIZES = [(1024, 720), (1280, 720), (1440, 900)]

expect = pytest.importorskip("playwright.sync_api").expect

BOXES = """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')].map(
  (n) => { const b = n.getBoundingClientRect(); return [n.dataset.id, [b.left, b.top, b.right, b.bottom]]; }))"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_success_toast_stays_off_the_canvas(app_url, browser, browser_page, shots, size):
    width, height = size
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        page.goto(app_url)
        frame = page.frame_locator(IFRAME)
        frame.locator('[data-testid="node-conv1"]').wait_for(timeout=3 * TIMEOUT_MS)
        page.locator(".st-key-new button").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name="seed-cnn", exact=True).click()
        dialog.get_by_role("button", name="Create").click()
        toast = page.get_by_test_id("stToast").filter(has_text="New project “seed-cnn")
        expect(toast).to_be_visible(timeout=TIMEOUT_MS)
        frame.locator('[data-testid="node-probs"]').wait_for()
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / f"toast-{width}.png"))
        t = toast.bounding_box()
        seen = [t["x"], t["y"], t["x"] + t["width"], t["y"] + t["height"]]
        f = page.locator(IFRAME).bounding_box()
        blocks = {node: [box[0] + f["x"], box[1] + f["y"], box[2] + f["x"], box[3] + f["y"]]
                  for node, box in frame.locator("body").evaluate(BOXES).items()}
    assert len(blocks) == 10  # seed-cnn's blocks, all drawn
    assert seen[0] >= f["x"] + f["width"], f"the toast {seen} reaches over the canvas {f}"
    assert [node for node, box in blocks.items() if _overlap(seen, box)] == []
