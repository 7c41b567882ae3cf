"""Inside the templates' composite blocks, in a 1024×768 window (Chromium via Playwright, the app
on a free port with a fresh ``LAYERLOOM_HOME``): every wire says the shape it carries, and no
card covers another.

A block opened by double-click (efficientnet-b0's stage2, a Stage, and its MBConv; resnet-mini's
BasicBlock; cnn1d-sequence's ConvBlock1d) showed "…" on most of its wires: 14 of MBConv's 17,
the shape only in a tooltip. The templates placed a block's cards 220 px apart, and a card is up
to 200 px wide, which left 20 px between them for a label such as '96×112×112'. They now stand
300 px apart, as the top levels' rows leave room for their wires' shapes.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect

# template → the node ids double-clicked, one level down each; the ids inside
LEVELS = {
    "efficientnet-b0": (["stage2", "first"], ["x", "expand_conv", "dw_conv", "se_pool", "add"]),
    "resnet-mini": (["stage2"], ["x", "conv1", "bn1", "relu1", "shortcut", "add", "out"]),
    "cnn1d-sequence": (["block1"], ["x", "conv", "bn", "relu", "pool", "out"]),
}

LABELS_JS = """els => els.map(e => ({id: e.dataset.testid, text: e.innerText, full: e.dataset.label,
  box: e.getBoundingClientRect().toJSON()}))"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {name: load_template(name) for name in LEVELS}


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("name", list(LEVELS))
def test_every_wire_inside_a_templates_block_says_its_shape(name, app_url, browser,
                                                            browser_page, projects, shots):
    path, inner = LEVELS[name]
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as page:
        frame = open_project(page, app_url, projects[name], f'[data-testid="node-{path[0]}"]')
        for node in path:
            frame.locator(f'[data-testid="node-{node}"]').dblclick()
            frame.locator(f'[data-testid="node-{inner[0]}"]').wait_for(timeout=3 * TIMEOUT_MS)
        expect(frame.locator(f'[data-testid="node-{inner[-1]}"]')).to_be_attached()
        ids = [n.get_attribute("data-id") for n in frame.locator(".react-flow__node").all()]
        assert set(inner) <= set(ids), ids
        boxes = settled(page, frame, ids)
        page.wait_for_timeout(500)  # the labels are placed a frame after the cards settle
        page.screenshot(path=str(shots / f"canvas-{name}-{path[-1]}-1024.png"))
        labels = frame.locator(".ll-edge-label").evaluate_all(LABELS_JS)
        assert labels, "no wire labels drawn"
        marks = [(lab["id"], lab["full"]) for lab in labels if lab["text"] == "…"]
        assert not marks, f"{name}/{'/'.join(path)}: these wires show '…': {marks}"
        drawn = [(i, boxes[i]) for i in ids if boxes.get(i)]
        covered = [f"{a} and {b}" for k, (a, box_a) in enumerate(drawn)
                   for b, box_b in drawn[k + 1:] if _overlap(box_a, box_b)]
        assert not covered, f"{name}/{'/'.join(path)}: cards over each other: {covered}"
