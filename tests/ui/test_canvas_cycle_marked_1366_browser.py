"""Every block of a cycle is marked with the cycle's error, naming the whole cycle, at a
1366×768 window in a real browser (Debian's Chromium driven by Playwright against the designer
on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

Only a hand-written or uploaded design can hold a cycle (the canvas refuses the wire that
closes one). Validation reports it once, on the block it starts from: the other blocks of the
cycle showed no badge, and a user looking at them saw nothing wrong there (src/problems.js
``markCycles``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.io import load_graph

    nodes = [{"id": "input1", "type": "Input", "params": {"shape": [4]}, "position": [0, 0]},
             {"id": "add1", "type": "Add", "params": {}, "position": [260, 0]},
             {"id": "linear1", "type": "Linear", "params": {"out_features": 4},
              "position": [520, 0]},
             {"id": "relu1", "type": "ReLU", "params": {}, "position": [520, 200]},
             {"id": "output1", "type": "Output", "params": {}, "position": [780, 200]}]
    wires = [("input1", "add1"), ("relu1", "add1"), ("add1", "linear1"),
             ("linear1", "relu1"), ("relu1", "output1")]
    return {"cycle": load_graph({"format": "layerloom-graph", "version": 1, "name": "cycle",
                                 "nodes": nodes,
                                 "edges": [{"source": s, "target": t} for s, t in wires]})}


def test_every_block_of_a_cycle_is_marked_with_the_cycle(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["cycle"], '[data-testid="node-relu1"]')
    loop = "cycle: add1 → linear1 → relu1 → add1"
    for node in ("add1", "linear1", "relu1"):
        card = frame.locator(f'[data-testid="node-{node}"]')
        expect(card.locator(".ll-badge-error")).to_have_text("1")
        assert loop in card.get_attribute("title"), (node, card.get_attribute("title"))
    for node in ("input1", "output1"):
        assert frame.locator(f'[data-testid="node-{node}"] .ll-badge-error').count() == 0
    page.screenshot(path=str(shots / "canvas-cycle-marked.png"))
