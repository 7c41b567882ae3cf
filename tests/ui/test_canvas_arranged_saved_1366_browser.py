"""What the canvas does by itself to a design that arrives with blocks over each other is saved,
at a 1366×768 window in a real browser (Debian's
Chromium driven by Playwright against the designer on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

Blocks written partly over each other are moved apart on the canvas (overlap.js), and blocks
written at one spot are laid out anew (layout.js ``unstack``), but the new places stayed in the
view only until the user's next edit: a reload before one showed them over each other again
(and said so again), and the saved design, other tabs and exports kept them so. The canvas now
sends them back at once (a ``change`` marked ``arranged``, ui/arranged.py): saved as a drag is,
but no undo step.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import time

import pytest
from canvas_browser import linked, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    chain = [("input1", "Input", {"shape": [4]}, [0, 0])]
    for i in range(1, 4):
        chain += [(f"linear{i}", "Linear", {"out_features": 16}, [20, 120 * i - 60]),
                  (f"relu{i}", "ReLU", {}, [20, 120 * i])]
    stacked = [("input1", "Input", {"shape": [4]}, [0, 0]),
               ("linear1", "Linear", {"out_features": 8}, [0, 0]),
               ("relu1", "ReLU", {}, [0, 0]), ("output1", "Output", {}, [0, 0])]
    return {"close": linked("close", [*chain, ("output1", "Output", {}, [600, 400])]),
            "stacked": linked("stacked", stacked)}


def _saved(app_home, pid) -> dict:
    from layerloom.ui.projects import ProjectStore

    graph = ProjectStore(app_home).load(pid).graph
    return {n.id: tuple(n.position) for n in graph.nodes}


def _saved_when(app_home, pid, ok, timeout_s: float = 60) -> dict:
    """The saved places once ``ok`` holds for them (the save follows the canvas's event)."""
    end = time.monotonic() + timeout_s
    while True:
        places = _saved(app_home, pid)
        if ok(places) or time.monotonic() > end:
            return places
        time.sleep(0.5)


def _apart(places: dict) -> bool:
    """No two blocks of one column 60 px apart or less (as written: their cards are taller)."""
    spots = sorted(places.values())
    return all(not (a[0] == b[0] and abs(a[1] - b[1]) <= 60)
               for i, a in enumerate(spots) for b in spots[i + 1:])


def _toasts(frame) -> list[str]:
    told = frame.locator('[data-testid="canvas-toast"]')
    try:
        told.wait_for(timeout=10_000)
    except Exception:  # noqa: BLE001 - Playwright's timeout: nothing said
        return []
    return told.all_inner_texts()


def test_blocks_moved_apart_on_arrival_are_saved_at_once_and_not_an_undo_step(
        app_url, app_home, page, projects, shots):
    pid = projects["close"]
    written = _saved(app_home, pid)
    assert not _apart(written), "the design must arrive with blocks over each other"
    frame = open_project(page, app_url, pid, '[data-testid="node-input1"]')
    said = _toasts(frame)
    assert len(said) == 1 and "moved apart" in said[0], said
    places = _saved_when(app_home, pid, _apart)
    assert _apart(places), places  # saved without any edit of the user's
    assert places["input1"] == written["input1"]  # what was free stays where it was written
    expect(frame.locator('[data-testid="btn-undo"]')).to_be_disabled()  # not the user's edit
    shown = settled(page, frame, ["input1", "linear1", "output1"])
    # a reload before any edit shows them apart, as saved, and has nothing to say
    frame = open_project(page, app_url, pid, '[data-testid="node-input1"]')
    again = settled(page, frame, ["input1", "linear1", "output1"])
    page.screenshot(path=str(shots / "canvas-arranged-reloaded.png"))
    assert _toasts(frame) == []
    assert _saved(app_home, pid) == places
    steps = lambda boxes: [round(boxes[f"relu{i}"]["y"] - boxes[f"linear{i}"]["y"])  # noqa: E731
                           for i in range(1, 4)]
    assert steps(again) == steps(shown)
    assert all(again[f"linear{i}"]["y"] + again[f"linear{i}"]["height"] <= again[f"relu{i}"]["y"]
               for i in range(1, 4)), again


def test_blocks_written_at_one_spot_are_saved_where_they_are_laid_out(
        app_url, app_home, page, projects):
    pid = projects["stacked"]
    frame = open_project(page, app_url, pid, '[data-testid="node-relu1"]')
    places = _saved_when(app_home, pid, lambda p: len(set(p.values())) == 4)
    assert len(set(places.values())) == 4, places
    expect(frame.locator('[data-testid="btn-undo"]')).to_be_disabled()
