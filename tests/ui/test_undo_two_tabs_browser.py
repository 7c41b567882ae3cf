"""Two tabs on one design in Chromium: tab A sets linear1's out_features and saves, tab B then
sets it again; A's Undo leaves B's value, says so, and the next Undo still takes back A's
other edit. A's Undo put A's old value back over B's (B's version only kept as a snapshot).

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import mlp, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    return {"mlp": mlp()}


def _set(page, frame, node: str, param: str, was: str, value: str) -> None:
    """``node`` selected on the canvas, its ``param`` (``was`` in the inspector once it shows
    that block) set to ``value``."""
    frame.locator(f'[data-testid="node-{node}"]').click()
    box = page.get_by_label(param, exact=True)
    # the newest inspector shows the block (a rerun can draw it again beside the old one, which
    # fades out), then the one before is gone
    expect(box.last).to_have_value(was)
    expect(box).to_have_count(1)
    box.last.fill(value)
    box.last.press("Enter")


def _saved(store, pid: str, node: str, param: str):
    return store.load(pid).graph.node(node).params.get(param)


def _eventually(page, check, tries: int = 120) -> None:
    for _ in range(tries):
        if check():
            return
        page.wait_for_timeout(500)
    assert check()


def test_undo_leaves_the_value_another_tab_set_since(app_url, projects, app_home, browser,
                                                     browser_page):
    from canvas_browser import TIMEOUT_MS

    from layerloom.ui.projects import ProjectStore

    store, pid = ProjectStore(app_home), projects["mlp"]
    viewport = {"width": 1366, "height": 768}
    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=viewport) as a, \
            browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=viewport) as b:
        frame_a = open_project(a, app_url, pid, '[data-testid="node-linear1"]')
        _set(a, frame_a, "linear2", "out_features", "3", "5")
        _eventually(a, lambda: _saved(store, pid, "linear2", "out_features") == 5)
        _set(a, frame_a, "linear1", "out_features", "32", "64")
        _eventually(a, lambda: _saved(store, pid, "linear1", "out_features") == 64)

        frame_b = open_project(b, app_url, pid, '[data-testid="node-linear1"]')
        _set(b, frame_b, "linear1", "out_features", "64", "128")
        _eventually(b, lambda: _saved(store, pid, "linear1", "out_features") == 128)

        a.bring_to_front()
        frame_a.locator('[data-testid="btn-undo"]').click()
        expect(a.get_by_text("Undo and redo leave it as saved").first).to_be_visible()
        assert _saved(store, pid, "linear1", "out_features") == 128
        frame_a.locator('[data-testid="btn-undo"]').click()
        _eventually(a, lambda: _saved(store, pid, "linear2", "out_features") == 3)
        assert _saved(store, pid, "linear1", "out_features") == 128
