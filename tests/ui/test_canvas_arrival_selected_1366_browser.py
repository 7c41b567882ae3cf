"""A design too wide to show whole at a readable zoom opens with its selected block in view, at
a 1366×768 window, in a real browser (Debian's Chromium driven by Playwright against the designer
started on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A Transformer built block by block in one row was reopened (its link, another browser) with its
last block selected, as the user left it: the view showed the row from its Input, the selected
SequencePool cut in two by the pane's right edge while the inspector beside it showed its
fields. viewport.js ``autoViewport`` pans the least that shows the selection.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, outside, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

ROW = [("input1", "Input", {"shape": [4]})] + [
    (f"linear{i}", "Linear", {"out_features": 8}) if i % 2 else (f"relu{i}", "ReLU", {})
    for i in range(1, 10)] + [("output1", "Output", {})]


@pytest.fixture(scope="module")
def designs():
    return {"wide": linked("wide", [(*node, [i * 260, 0]) for i, node in enumerate(ROW)])}


def test_the_selected_block_of_a_wide_design_is_in_view_on_arrival(app_url, page, projects,
                                                                  app_home, shots):
    from layerloom.ui.projects import ProjectStore

    ProjectStore(app_home).save_view(projects["wide"], {"path": [], "selected": ["linear9"]})
    frame = open_project(page, app_url, projects["wide"], '[data-testid="node-linear9"]')
    pane = frame.locator(".ll-flow").bounding_box()
    boxes = settled(page, frame, ["input1", "linear9"])
    page.screenshot(path=str(shots / "canvas-arrival-selected.png"))
    assert outside(pane, boxes, ["linear9"]) == [], (pane, boxes["linear9"])
    assert outside(pane, boxes, ["input1"]) == ["input1"], "the design is too wide to show whole"
