"""A tall design opens with every wire inside the canvas, at a 1366×768 window, in a real browser
(Debian's Chromium driven by Playwright against the designer started on a free port with a
fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

seed-cnn without positions (as an imported model comes) is laid out in rows when it opens. The
rows were those that fit the whole design at the largest zoom (0.6), but it opens at the
readable zoom (0.75), where they were wider than the pane, and the view was fitted to the
blocks alone: the wires from a row to the next turned past the pane's right edge, cut off.
layout.js ``fitLayout``'s ``rowsFitAt`` takes rows that fit across at the readable zoom, and
viewport.js ``autoViewport`` fits the wires with the blocks (``wireRects``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project, settled, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.io import load_graph
    from layerloom.graph.templates import load_template

    doc = load_template("seed-cnn").to_dict()
    for node in doc["nodes"]:
        node.pop("position", None)
    doc["name"] = "tall-cnn"
    return {"tall": load_graph(doc)}


# the pane's left and right edges, and each wire's (its drawn path), in the canvas' frame
EDGES_JS = """() => {
    const pane = document.querySelector('.ll-flow').getBoundingClientRect();
    const wires = Array.from(document.querySelectorAll('.react-flow__edge')).map(e => {
        const r = e.querySelector('.react-flow__edge-path').getBoundingClientRect();
        return [e.getAttribute('data-id'), r.left, r.right]; });
    return {left: pane.left, right: pane.right, wires}; }"""


def test_a_tall_design_opens_with_its_wires_inside_the_pane(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["tall"], '[data-testid="node-probs"]')
    settled(page, frame, ["image", "fc"])
    page.wait_for_timeout(500)
    assert zoom(frame) >= 0.75  # readable, as every view the canvas picks
    inner = frame.locator(".ll-flow").element_handle().owner_frame()
    seen = inner.evaluate(EDGES_JS)
    page.screenshot(path=str(shots / "canvas-tall-design-wires.png"))
    assert len(seen["wires"]) == 9
    # every wire, its turns from a row to the next too, between the pane's left and right edges
    cut = [(i, round(left), round(right)) for i, left, right in seen["wires"]
           if left < seen["left"] - 0.5 or right > seen["right"] + 0.5]
    assert cut == [], (seen["left"], seen["right"], cut)
