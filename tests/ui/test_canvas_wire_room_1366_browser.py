"""Wires and blocks that change after an Auto layout, at a 1366×768 window, in a real browser
(Debian's Chromium driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- A block that grows wider after Auto layout (a long Label) no longer keeps its wire's laid
  route, which left from where its right edge had been and ran back under it: the wire leaves
  its right-hand port and passes under no card (routes.js ``liveRoutes``).
- A block dropped on a wire that wraps round to the next row (where it runs back along the gap
  between the rows) goes in line with its target's row, in the target's place, the rest of the
  row moved right: it covers no block and its wires pass under none (graph.js ``makeRoom``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import mlp, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    return {"grow": mlp(), "drop": mlp()}


# the points of the wire source -> target (about every 3 px) that fall inside a card other than
# at its ports (2 px in from every edge), as [card id, x, y] in screen pixels
UNDER_CARDS = """(body, sel) => {
  const path = document.querySelector(sel).querySelector('path.react-flow__edge-path');
  const m = path.getScreenCTM();
  const cards = [...document.querySelectorAll('.react-flow__node')].map(
    (n) => [n.dataset.id, n.getBoundingClientRect()]);
  const out = [];
  const n = Math.ceil(path.getTotalLength() / 3);
  for (let i = 0; i <= n; i++) {
    const p = path.getPointAtLength((path.getTotalLength() * i) / n);
    const x = m.a * p.x + m.c * p.y + m.e;
    const y = m.b * p.x + m.d * p.y + m.f;
    for (const [id, r] of cards) {
      if (x > r.left + 2 && x < r.right - 2 && y > r.top + 2 && y < r.bottom - 2) out.push([id, x, y]);
    }
  }
  return out;
}"""


def _under_cards(frame, source: str, target: str) -> list:
    return frame.locator("body").evaluate(
        UNDER_CARDS, f'.react-flow__edge[data-id$=":{source}->{target}"]')


def _width(frame, node: str) -> float:
    return frame.locator(f'[data-testid="node-{node}"]').bounding_box()["width"]


def test_a_wire_out_of_a_block_grown_after_auto_layout_is_not_under_it(
        app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["grow"], '[data-testid="node-linear1"]')
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(1500)
    narrow = _width(frame, "linear1")
    wires = [("input1", "linear1"), ("linear1", "relu1"), ("relu1", "linear2"),
             ("linear2", "output1")]
    for s, t in wires:
        assert _under_cards(frame, s, t) == [], (s, t)

    # a long label widens linear1's card
    frame.locator('[data-testid="node-linear1"]').click()
    label = page.get_by_role("textbox", name="Label")
    label.fill("hidden layer with a rather long label")
    label.press("Enter")
    deadline = 20_000
    while _width(frame, "linear1") < narrow + 30 and deadline > 0:
        page.wait_for_timeout(200)
        deadline -= 200
    assert _width(frame, "linear1") >= narrow + 30
    page.wait_for_timeout(500)
    for s, t in wires:
        assert _under_cards(frame, s, t) == [], (s, t)
    page.screenshot(path=str(shots / "canvas-wire-of-a-grown-block.png"))


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_a_block_dropped_on_a_wire_between_rows_gets_room(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["drop"], '[data-testid="node-linear1"]')
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(1500)
    linear1 = frame.locator('[data-testid="node-linear1"]').bounding_box()
    relu1 = frame.locator('[data-testid="node-relu1"]').bounding_box()
    assert relu1["y"] > linear1["y"] + linear1["height"], "the layout wraps linear1 -> relu1"
    # Dropout dragged to the wire where it runs back along the gap, left of its label (as the
    # tester did: over input1 and relu1 were it left there)
    lab = frame.locator('[data-testid="edge-label-linear1-relu1"]').bounding_box()
    x, y = lab["x"] - 100, lab["y"] + lab["height"] / 2
    frame.locator('[data-testid="palette-search"]').fill("Dropout")
    item = frame.locator('[data-testid="palette-item-Dropout"]').bounding_box()
    page.mouse.move(item["x"] + 20, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.move(x + 1, y, steps=2)
    page.mouse.up()
    # the toast looked for first: it lasts 4.5 s, which a loaded machine can spend drawing
    expect(frame.locator('[data-testid="canvas-toast"]')).to_contain_text(
        "dropout1 put on the wire linear1 → relu1")
    frame.locator('[data-testid="node-dropout1"]').wait_for()
    page.wait_for_timeout(800)
    boxes = {n.get_attribute("data-id"): n.bounding_box()
             for n in frame.locator(".react-flow__node").all()}
    new = boxes.pop("dropout1")
    assert [k for k, b in boxes.items() if _overlap(new, b)] == []
    # in line with relu1's row, left of it
    assert abs((new["y"] + new["height"] / 2) - (boxes["relu1"]["y"] + boxes["relu1"]["height"] / 2)) < 2
    assert new["x"] + new["width"] < boxes["relu1"]["x"]
    for s, t in [("linear1", "dropout1"), ("dropout1", "relu1")]:
        assert _under_cards(frame, s, t) == [], (s, t)
    page.screenshot(path=str(shots / "canvas-drop-on-a-wire-between-rows.png"))
