"""A card's foot (its output shape, its param count) stays inside the card, in a 1024×768 window
(Chromium via Playwright, the app on a free port with a fresh ``LAYERLOOM_HOME``).

efficientnet-b0's stage1 showed '→ 16×112×112 1448 params' on one line wider than its card: the
count ran past the card's right edge, over the wire leaving it (stage5's '543k params' too).
Where both do not fit, the shape shows its shorter form, '→ 16×112²', the whole in its tooltip
(BlockNode.jsx); the card keeps its height, so the wires laid between the rows stay there.
"""

from __future__ import annotations

import pytest
from canvas_browser import TIMEOUT_MS, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

# each card's foot: [id, foot's texts, the right edge of each, the card's inner right edge]
FEET_JS = """els => els.map(n => {
  const card = n.querySelector('.ll-node') || n;
  const inner = card.getBoundingClientRect().right - card.clientLeft;
  const parts = [...n.querySelectorAll('.ll-foot > span')].filter(s => s.innerText);
  return [n.dataset.id, parts.map(s => s.innerText), parts.map(s => s.getBoundingClientRect().right),
          inner];
})"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"effnet": load_template("efficientnet-b0")}


def test_each_cards_shape_and_count_stay_inside_it(app_url, browser, browser_page, projects,
                                                    shots):
    from layerloom.graph.templates import load_template

    ids = [n.id for n in load_template("efficientnet-b0").nodes]
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as page:
        frame = open_project(page, app_url, projects["effnet"], '[data-testid="node-stage1"]')
        frame.locator('[data-testid="node-stage1"] .ll-count').filter(
            has_text="params").wait_for()
        settled(page, frame, ids)
        page.screenshot(path=str(shots / "canvas-card-feet-1024.png"))
        feet = frame.locator(".react-flow__node").evaluate_all(FEET_JS)
        assert len(feet) == len(ids)
        stage1 = next(f for f in feet if f[0] == "stage1")
        assert stage1[1] == ["→ 16×112²", "1448 params"], stage1
        shape = frame.locator('[data-testid="node-stage1"] .ll-shape')
        assert shape.get_attribute("title") == "→ 16×112×112"
        conv = next(f for f in feet if f[0] == "stem_conv")  # room for it whole: as it was
        assert conv[1] == ["→ 32×112×112", "864 params"], conv
        past = [(i, texts) for i, texts, rights, inner in feet
                if any(r > inner + 0.5 for r in rights)]
        assert not past, f"past their card's edge: {past}"
