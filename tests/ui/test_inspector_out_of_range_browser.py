"""A number typed out of its param's range in the inspector reaches the design and is said on
the block, as a text param's is, in a real browser at 1366×768 (Debian's Chromium driven by
Playwright against the designer started on a free port with a fresh ``LAYERLOOM_HOME``; the
fixtures are tests/ui/conftest.py's).

Typing -1 into a Linear's out_features and Enter left '-1' in the box with 'Press Enter to
apply' and a red mark whose tooltip ('Please enter a value greater than or equal to 1.', cut
off at the window's edge) named no block, while the design kept 3: Enter did nothing, and
the box showed a value the design did not hold. Now the design takes it and the block says
"out_features must be at least 1, got -1" (undo takes it back), as a shape of -1 is said.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json

import pytest
from canvas_browser import IFRAME, TIMEOUT_MS, linked

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


def _mlp():
    chain = [("input1", "Input", {"shape": [4]}, [20, 40]),
             ("linear1", "Linear", {"out_features": 3}, [220, 40]),
             ("output1", "Output", {}, [420, 40])]
    return linked("mlp", chain)


@pytest.fixture(scope="module")
def designs():
    return {"mlp": _mlp()}


def _saved(app_home, pid: str) -> dict:
    graph = json.loads((app_home / "projects" / pid / "graph.json").read_text())
    return next(n for n in graph["nodes"] if n["id"] == "linear1").get("params", {})


def test_an_out_of_range_number_reaches_the_design_and_is_said_on_the_block(
        app_url, app_home, page, projects, shots):
    pid = projects["mlp"]
    page.goto(f"{app_url}/?project={pid}")
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-linear1"]').click(timeout=3 * TIMEOUT_MS)
    box = page.get_by_label("out_features", exact=True)
    expect(box).to_have_value("3")
    box.fill("-1")
    box.press("Enter")
    expect(page.get_by_text("out_features must be at least 1, got -1").first).to_be_visible()
    page.screenshot(path=str(shots / "inspector-out-of-range.png"))
    assert _saved(app_home, pid)["out_features"] == -1
    expect(frame.locator('.react-flow__node[data-id="linear1"] .ll-error')).to_have_count(1)
    # undo takes it back, as any edit
    frame.get_by_test_id("btn-undo").click()
    # the box drawn with -1 goes as the run ends (while a run replaces the inspector, the old
    # box and the new one can both be on the page, here and again in the next run)
    expect(page.locator('input[aria-label="out_features"][value="-1"]')).to_have_count(0)
    expect(box.first).to_have_value("3")
    assert _saved(app_home, pid)["out_features"] == 3
