"""What a newcomer met on the canvas at a 1366×768 window, in a real browser (Debian's Chromium
driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- The palette's search is cleared after a block is added from it (dragged onto the canvas,
  Enter in the search box, a click on an item), so the whole palette shows again.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
WINDOW = {"width": 1366, "height": 768}

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(autouse=True)
def _patient_expect():
    """The machine is shared: wait on conditions, not sleeps, and patiently."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


@pytest.fixture(scope="module")
def projects(app_home):
    """The projects the tests open, made before the app starts."""
    from layerloom.graph import Graph
    from layerloom.graph.templates import load_template

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERLOOM_HOME", str(app_home))
        from layerloom.ui.projects import ProjectStore

        store = ProjectStore()
        return {"palette": store.create(Graph(name="palette")),
                "seed": store.create(load_template("seed-cnn"))}


@pytest.fixture(scope="module")
def app_url(projects, app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=WINDOW) as pg:
        yield pg


def _open(page, url: str, pid: str, ready: str):
    page.goto(f"{url}/?project={pid}")
    frame = page.frame_locator(IFRAME)
    frame.locator(ready).first.wait_for(timeout=3 * TIMEOUT_MS)  # a first load is slow under load
    return frame


def _saved(home: Path, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def _wait_saved(home: Path, pid: str, ok, timeout_s: float = 20) -> dict:
    """The saved design once ``ok`` holds for it (the save follows the canvas's event)."""
    deadline = time.monotonic() + timeout_s
    while True:
        graph = _saved(home, pid)
        if ok(graph) or time.monotonic() > deadline:
            assert ok(graph), graph
            return graph
        time.sleep(0.2)


def test_the_palette_search_is_cleared_after_an_add(app_url, page, projects, app_home, shots):
    frame = _open(page, app_url, projects["palette"], '[data-testid="canvas-blank"]')
    search = frame.locator('[data-testid="palette-search"]')
    item = frame.locator('[data-testid^="palette-item-"]')
    everything = item.count()
    pane = frame.locator(".react-flow__pane")
    box = pane.bounding_box()

    # dragged onto the canvas
    search.fill("batchn")
    expect(frame.locator('[data-testid="palette-item-Conv2d"]')).to_have_count(0)
    frame.locator('[data-testid="palette-item-BatchNorm2d"]').drag_to(
        pane, target_position={"x": box["width"] * 0.3, "y": box["height"] * 0.3})
    frame.locator('[data-testid="node-batchnorm2d1"]').wait_for()
    expect(search).to_have_value("")
    expect(item).to_have_count(everything)
    page.screenshot(path=str(shots / "palette-cleared-after-drag.png"))

    # Enter in the search box adds the top hit: the box is cleared and keeps the focus, for
    # the next name
    search.fill("relu")
    search.press("Enter")
    frame.locator('[data-testid="node-relu1"]').wait_for()
    expect(search).to_have_value("")
    expect(search).to_be_focused()
    expect(item).to_have_count(everything)

    # a click on an item
    search.fill("tanh")
    frame.locator('[data-testid="palette-item-Tanh"]').click()
    frame.locator('[data-testid="node-tanh1"]').wait_for()
    expect(search).to_have_value("")
    expect(item).to_have_count(everything)

    # a drag that ends elsewhere (back on the palette) adds nothing and keeps the search
    search.fill("gelu")
    frame.locator('[data-testid="palette-item-GELU"]').drag_to(
        frame.locator(".ll-group-title").first)
    expect(search).to_have_value("gelu")
    expect(frame.locator('[data-testid="node-gelu1"]')).to_have_count(0)

    _wait_saved(app_home, projects["palette"],
                lambda g: {n["id"] for n in g["nodes"]} == {"batchnorm2d1", "relu1", "tanh1"})
