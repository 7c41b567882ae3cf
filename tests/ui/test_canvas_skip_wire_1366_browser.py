"""A skip wire in a design drawn in one row by hand, at a 1366×768 window, in a real browser
(Debian's Chromium driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A newcomer's residual block, every block placed in one row: the wire linear1 → add1 ran as the
plain curve straight under relu1 and linear2, so that it read as wired through them. It now goes
round them, along the free band over the row, and passes under no card; the wires between
neighbours stay curves (routes.js ``wrapRoutes``, ``detour``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project
from test_canvas_wire_room_1366_browser import _under_cards

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

pytest.importorskip("playwright.sync_api")

ROW = [("input1", "Input", {"shape": [8]}), ("linear1", "Linear", {"out_features": 8}),
       ("relu1", "ReLU", {}), ("linear2", "Linear", {"out_features": 8}), ("add1", "Add", {}),
       ("output1", "Output", {})]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.io import load_graph

    nodes = [{"id": i, "type": t, "params": p, "position": [220 * k, 0]}
             for k, (i, t, p) in enumerate(ROW)]
    edges = [{"source": a[0], "target": b[0]} for a, b in zip(ROW, ROW[1:])]
    edges.append({"source": "linear1", "target": "add1"})
    return {"row": load_graph({"format": "layerloom-graph", "version": 1, "name": "row",
                               "nodes": nodes, "edges": edges})}


def test_a_skip_wire_goes_round_the_blocks_of_its_row(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["row"], '[data-testid="node-add1"]')
    page.wait_for_timeout(1000)
    assert _under_cards(frame, "linear1", "add1") == []
    for s, t in zip([r[0] for r in ROW], [r[0] for r in ROW[1:]]):
        assert _under_cards(frame, s, t) == [], (s, t)
    page.screenshot(path=str(shots / "canvas-skip-wire-in-a-row.png"))
