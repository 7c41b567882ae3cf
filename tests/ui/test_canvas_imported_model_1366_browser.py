"""A model imported from PyTorch opens laid out to be read, at a 1366×768 window, in a real
browser (Debian's Chromium driven by Playwright against the designer on a free port with a
fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

``import-torch`` placed each block 220 px right of the column before, rows 110 px apart: a
ResNet opened as one row running far past the pane's right edge, every wire between two cards
20 px long and showing '…' for its shape, and a bottleneck's first conv drawn over its
downsample (the two share a column, the cards taller than 110 px). It now leaves the placing to
the canvas, which lays the design out in rows fitted to the pane.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

LABELS_JS = "els => els.map(e => ({id: e.dataset.testid, text: e.innerText}))"
CARDS_JS = """els => els.map(e => [e.dataset.id,
  ...Object.values(e.getBoundingClientRect().toJSON()).slice(0, 4)])"""


@pytest.fixture(scope="module")
def designs():
    from imported_resnet import SmallResNet
    from layerloom.graph.import_torch import import_torch

    graph, _ = import_torch(SmallResNet().eval(), (3, 16, 16))
    graph.name = "imported-resnet"
    return {"resnet": graph}


def test_an_imported_resnet_opens_with_cards_apart_and_wires_showing_their_shapes(
        app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["resnet"], '[data-testid="node-conv1"]')
    settled(page, frame, ["conv1", "bn1", "layer1_0_conv1"])
    assert zoom(frame) >= 0.75
    page.screenshot(path=str(shots / "canvas-imported-resnet.png"))
    # every two cards apart (x, y, width, height on the page)
    cards = frame.locator(".react-flow__node").evaluate_all(CARDS_JS)
    assert len(cards) > 30
    over = [(a[0], b[0]) for i, a in enumerate(cards) for b in cards[i + 1:]
            if a[1] < b[1] + b[3] and b[1] < a[1] + a[3] and a[2] < b[2] + b[4]
            and b[2] < a[2] + a[4]]
    assert over == []
    # every wire drawn shows its shape, not '…'
    labels = frame.locator(".ll-edge-label").evaluate_all(LABELS_JS)
    assert labels
    assert [lab["id"] for lab in labels if lab["text"] == "…"] == []
