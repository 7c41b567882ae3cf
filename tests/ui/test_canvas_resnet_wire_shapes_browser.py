"""resnet-mini's wires in 1024×768, 1366×768 and 1920×1080 windows (Chromium via Playwright, the
app on a free port with a fresh ``LAYERLOOM_HOME``): every wire says the shape it carries.

The wires between blocks set close together (stem → stem_bn, stage1 → stage1_rest, stage2 →
stage2_rest, stage2_rest → stage3) showed "…", the shape in a tooltip only. A label too wide for
its gap now shows a shorter form where that fits (16×28² for 16×28×28), the whole shape in its
tooltip (src/wires.js placeLabels, src/format.js wireLabelForms).
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

WINDOWS = [(1024, 768), (1366, 768), (1920, 1080)]

LABELS_JS = """els => els.map(e => ({id: e.dataset.testid, text: e.innerText, full: e.dataset.label,
  title: e.title, box: e.getBoundingClientRect().toJSON()}))"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {f"resnet-{w}": load_template("resnet-mini") for w, _ in WINDOWS}


@pytest.mark.parametrize("width, height", WINDOWS)
def test_every_wire_of_resnet_mini_says_its_shape(width, height, app_url, browser, browser_page,
                                                  projects, shots):
    from layerloom.graph.templates import load_template

    ids = [n.id for n in load_template("resnet-mini").nodes]
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        frame = open_project(page, app_url, projects[f"resnet-{width}"],
                             '[data-testid="node-stem_bn"]')
        expect(frame.locator('[data-testid="edge-label-stem-stem_bn"]')).to_have_attribute(
            "data-label", "16×28×28")
        settled(page, frame, ids)
        page.wait_for_timeout(500)  # the labels are placed a frame after the cards settle
        page.screenshot(path=str(shots / f"canvas-resnet-mini-labels-{width}.png"))
        labels = frame.locator(".ll-edge-label").evaluate_all(LABELS_JS)
        assert len(labels) == 13, labels
        marks = [lab["id"] for lab in labels if lab["text"] == "…"]
        assert not marks, f"at {width} px these wires show '…', not their shape: {marks}"
        short = {lab["id"]: (lab["text"], lab["title"]) for lab in labels
                 if lab["text"] != lab["full"]}
        assert short.get("edge-label-stem-stem_bn") == ("16×28²", "16×28×28"), short
        assert short.get("edge-label-stage1-stage1_rest") == ("16×28²", "16×28×28"), short
        for text, title in short.values():  # the whole shape in the tooltip
            assert title and len(text) < len(title), short
        cards = frame.locator(".react-flow__node").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().toJSON())")  # in the frame, as labels
        covered = [(lab["id"], c) for lab in labels for c in cards
                   if lab["box"]["left"] < c["right"] and c["left"] < lab["box"]["right"]
                   and lab["box"]["top"] < c["bottom"] and c["top"] < lab["box"]["bottom"]]
        assert not covered, f"labels under cards at {width} px: {covered}"
