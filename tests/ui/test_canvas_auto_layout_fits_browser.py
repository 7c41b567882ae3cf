"""After the canvas's Auto layout the whole design is in view, in Chromium (the app on a free
port with a fresh ``LAYERLOOM_HOME``): every block of seed-cnn and of resnet-mini lies inside
the canvas pane at 1280×720 and at 1440×900, with no scrolling. (seed-cnn's layout had two
blocks a row at 1280×720 and ran below the pane.) Screenshots ``auto-layout-*.png`` go to the
screenshots folder."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
SIZES = [(1280, 720), (1440, 900)]
TEMPLATES = ["seed-cnn", "resnet-mini"]

# the pane's box and each block's, in the canvas frame's pixels
READ = """() => {
  const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const boxes = {};
  for (const n of document.querySelectorAll('.react-flow__node')) boxes[n.dataset.id] = r(n);
  return { pane: r(document.querySelector('.react-flow')), boxes };
}"""


@pytest.fixture(scope="module")
def projects(create_projects):
    from layerloom.graph.templates import load_template

    return create_projects({name: load_template(name) for name in TEMPLATES})


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", TEMPLATES)
def test_after_auto_layout_every_block_is_inside_the_pane(projects, app_url, browser,
                                                          browser_page, shots, name, size):
    from layerloom.graph.templates import load_template

    width, height = size
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/?project={projects[name]}")
        frame = page.frame_locator(IFRAME)
        frame.locator('[data-testid="node-image"]').wait_for(timeout=3 * TIMEOUT_MS)
        page.wait_for_timeout(1500)  # measured and placed
        frame.locator('[data-testid="btn-layout"]').click()
        page.wait_for_timeout(1500)  # laid out, and the view fitted (250 ms)
        drawn = frame.locator("body").evaluate(READ)
        page.screenshot(path=str(shots / f"auto-layout-{name}-{width}.png"))
    left, top, right, bottom = drawn["pane"]
    assert sorted(drawn["boxes"]) == sorted(n.id for n in load_template(name).nodes)
    outside = {node: [round(v) for v in box] for node, box in drawn["boxes"].items()
               if box[0] < left - 0.5 or box[1] < top - 0.5 or box[2] > right + 0.5
               or box[3] > bottom + 0.5}
    assert outside == {}, f"outside the pane {[round(v) for v in drawn['pane']]}: {outside}"
