"""The designer in a 1024×768 window (Chromium via Playwright): the seed CNN template opens
with every block whole across the canvas, the Linear its data error is on among them, the block
palette folded ("› Blocks" opens it). Before, the open palette (225 px) left the design a pane
of 383 px: at the readable zoom the template's right column (relu1, relu2 and fc, the block
marked "1 error with mnist-5k") was cut at the pane's edge or out of view. At 1366×768 the
palette starts open, as before."""

from __future__ import annotations

import pytest
from canvas_browser import IFRAME, TIMEOUT_MS, open_project, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

IDS = ["image", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc"]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    graph.name = "no-flatten"  # a newcomer's mistake: the Flatten deleted
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    graph.edges = [e for e in graph.edges if e.source != "flat"]
    for edge in graph.edges:
        if edge.target == "flat":
            edge.target = "fc"
    return {"cnn": graph}


@pytest.mark.parametrize("width, height, folded", [(1024, 768, True), (1366, 768, False)])
def test_the_template_reads_across_the_canvas(width, height, folded, app_url, browser,
                                               browser_page, projects, shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        frame = open_project(page, app_url, projects["cnn"], '[data-testid="node-fc"]')
        expect(page.locator(".st-key-statusbar")).to_contain_text("1 error with mnist-5k",
                                                                  timeout=90_000)
        toggle = frame.get_by_role("button", name="Blocks")
        expect(toggle).to_have_text("› Blocks" if folded else "‹ Blocks")
        expect(frame.locator('[data-testid="palette-search"]')).to_have_count(0 if folded else 1)
        boxes = settled(page, frame, IDS)
        page.screenshot(path=str(shots / f"designer-template-{width}.png"))
        pane = frame.locator(".react-flow__pane").bounding_box()
        cut = [i for i in IDS if boxes[i]["x"] < pane["x"] - 0.5
               or boxes[i]["x"] + boxes[i]["width"] > pane["x"] + pane["width"] + 0.5]
        assert not cut, f"cut at the pane's side at {width} px: {cut}"
        assert zoom(frame) >= 0.75  # readable, not shrunk to fit
        if folded:  # and it opens
            toggle.click()
            expect(frame.locator('[data-testid="palette-search"]')).to_be_visible()


def test_a_blank_design_in_a_narrow_window_says_where_the_palette_is(app_url, browser,
                                                                   browser_page,
                                                                   create_projects):
    from layerloom.graph import Graph

    pid = create_projects({"blank": Graph(name="untitled")})["blank"]
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as page:
        page.goto(f"{app_url}/?project={pid}")
        blank = page.frame_locator(IFRAME).locator('[data-testid="canvas-blank"]')
        expect(blank).to_contain_text("open the palette with › Blocks", timeout=3 * TIMEOUT_MS)
