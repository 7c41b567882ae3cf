"""The count of blocks out of view covers no card, at a 1366×768 window in a real browser
(Debian's Chromium driven by Playwright against the designer on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A design read down one column (here Conv2d blocks with a param written as an expression, whose
cards are tall) opens at the readable zoom with its lower blocks below the pane. The panel that
says so ("↓ 11 of 14 blocks out of view  Show next") sat in the pane's bottom-left corner over
the card the bottom edge cut, its shape and param count under it. It now goes to a corner where
it covers no card, in its short form ("↓ 11 more  Show", the rest in its tooltip) where the whole one
covers a card in every corner (src/offview.js ``panelPlace``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import node_boxes, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

EXPR = "=round(base_width * width_mult ** 2)"


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.io import load_graph

    nodes = [{"id": "image", "type": "Input", "params": {"shape": [3, 32, 32]},
              "position": [0, 0]}]
    edges, prev = [], "image"
    for i in range(1, 13):
        nodes.append({"id": f"conv{i}", "type": "Conv2d", "position": [0, 140 * i],
                      "params": {"out_channels": EXPR, "kernel_size": 3, "padding": 1}})
        edges.append({"source": prev, "target": f"conv{i}"})
        prev = f"conv{i}"
    nodes.append({"id": "out", "type": "Output", "params": {}, "position": [0, 140 * 13]})
    edges.append({"source": prev, "target": "out"})
    return {"column": load_graph({"format": "layerloom-graph", "version": 1, "name": "column",
                                  "variables": {"base_width": 16, "width_mult": 1.25},
                                  "nodes": nodes, "edges": edges})}


def _over(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_the_out_of_view_count_covers_no_card(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["column"], '[data-testid="node-image"]')
    settled(page, frame, ["image", "conv1", "conv2"])
    told = frame.locator('[data-testid="canvas-out-of-view"]')
    told.wait_for()
    page.wait_for_timeout(500)  # placed once measured
    panel = told.bounding_box()
    boxes = node_boxes(frame)
    page.screenshot(path=str(shots / "canvas-out-of-view-clear-1366.png"))
    assert [i for i, box in boxes.items() if box and _over(panel, box)] == [], panel
    count = told.locator("[data-count]")
    n = int(count.get_attribute("data-count"))
    assert n > 0
    assert f"{n} of 14 blocks out of view" in (count.inner_text() + count.get_attribute("title"))
    # the param written as an expression reads whole on hover
    row = frame.locator('[data-testid="param-conv1-out_channels"]')
    assert EXPR[1:] in row.get_attribute("title")
