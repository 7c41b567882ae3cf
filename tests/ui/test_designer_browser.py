"""The designer in a real browser: Debian's Chromium driven by Playwright against the app
started on a free port with a fresh ``LAYERLOOM_HOME``.

Drag Linear from the palette and wire it; edit a param and watch the error come and go; undo;
group two blocks; reload and find the design intact. Screenshots of both themes go to
``assets/screenshots/designer-{light,dark}.png``. Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "assets" / "screenshots"
IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 30_000

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("layerloom-home")


@pytest.fixture(scope="module")
def app_url(home):
    port = _free_port()
    cmd = [sys.executable, "-m", "layerloom.ui.serve", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    env = {**os.environ, "LAYERLOOM_HOME": str(home), "LAYERLOOM_CANVAS_DEV_URL": ""}
    log = home / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"page errors: {errors}"


def _open(page, url):
    page.goto(url)
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-conv1"], [data-testid="node-block1"]').first.wait_for()
    return frame


def _center(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page, source, target):
    sx, sy = _center(source)
    tx, ty = _center(target)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=8)
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()


def _status(page):
    return page.locator(".st-key-statusbar")


def _saved(home: Path, page) -> dict:
    pid = re.search(r"project=([a-z0-9-]+)", page.url).group(1)
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_design_in_the_browser(app_url, page, home):
    frame = _open(page, app_url)
    expect(_status(page)).to_contain_text("34,826 params")
    assert re.search(r"project=seed-cnn-[0-9a-f]{6}", page.url)

    # the first view shows the inputs at a legible zoom, with the far end (flat) off to the
    # right: fit the whole design in view first, as a user would, and let the pan settle
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(500)
    expect(frame.locator('[data-testid="node-flat"]')).to_be_in_viewport()

    # drag Linear from the palette onto an empty spot, then wire flat → linear1
    pane = frame.locator(".react-flow__pane")
    box = pane.bounding_box()
    frame.locator('[data-testid="palette-item-Linear"]').drag_to(
        pane, target_position={"x": box["width"] * 0.6, "y": box["height"] - 90})
    linear = frame.locator('[data-testid="node-linear1"]')
    linear.wait_for()
    expect(page.get_by_role("heading", name="Linear")).to_be_visible()  # the inspector
    _drag(page, frame.locator('.react-flow__handle.source[data-nodeid="flat"]'),
          frame.locator('.react-flow__handle.target[data-nodeid="linear1"]'))
    expect(frame.locator('[data-testid="edge-label-flat-linear1"]')).to_have_text("1600")
    expect(linear).to_contain_text("→ 10")  # its output shape, inferred by Python
    expect(linear).to_contain_text("16k params")
    assert any(e["source"] == "flat" and e["target"] == "linear1"
               for e in _saved(home, page)["edges"])

    # edit a param in the inspector: the error appears, then goes
    frame.locator('[data-testid="node-conv2"]').click()
    expect(page.get_by_role("heading", name="Conv2d")).to_be_visible()
    kernel = page.get_by_role("textbox", name="kernel_size", exact=True)
    kernel.fill("20")
    kernel.press("Enter")
    expect(_status(page)).to_contain_text("1 error")
    conv2 = frame.locator('[data-testid="node-conv2"]')
    expect(conv2).to_have_class(re.compile("ll-error"))
    expect(page.get_by_text("kernel 20×20 is larger than its 13×13 input").first).to_be_visible()
    kernel = page.get_by_role("textbox", name="kernel_size", exact=True)
    kernel.fill("3")
    kernel.press("Enter")
    expect(_status(page)).to_contain_text("valid")
    expect(conv2).not_to_have_class(re.compile("ll-error"))

    # undo, one step at a time: kernel 20 again (the error is back), kernel 3, the edge, the
    # Linear block
    undo = frame.locator('[data-testid="btn-undo"]')
    edge = frame.locator('[data-testid="edge-label-flat-linear1"]')
    undo.click()
    expect(conv2).to_have_class(re.compile("ll-error"))
    undo.click()
    expect(conv2).not_to_have_class(re.compile("ll-error"))
    expect(edge).to_have_count(1)
    undo.click()
    expect(edge).to_have_count(0)
    expect(linear).to_have_count(1)
    undo.click()
    expect(linear).to_have_count(0)
    expect(_status(page)).to_contain_text("34,826 params")
    expect(_status(page)).to_contain_text("valid")

    # selecting other blocks leaves the history alone: redo brings Linear back, undo again
    frame.locator('[data-testid="node-conv1"]').click()
    frame.locator('[data-testid="node-relu1"]').click(modifiers=["Shift"])
    expect(page.get_by_role("heading", name="2 blocks selected")).to_be_visible()
    frame.locator('[data-testid="btn-redo"]').click()
    expect(linear).to_have_count(1)
    undo.click()
    expect(linear).to_have_count(0)

    # group the two blocks still selected
    group = frame.locator('[data-testid="btn-group"]')
    expect(group).to_be_enabled()
    group.click()
    block = frame.locator('[data-testid="node-block1"]')
    block.wait_for()
    expect(frame.locator('[data-testid="node-conv1"]')).to_have_count(0)
    expect(block).to_contain_text("32×26×26")
    expect(_status(page)).to_contain_text("34,826 params")
    assert "Block" in _saved(home, page)["blocks"]

    # reload: the same design comes back
    url = page.url
    page.reload()
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-block1"]').wait_for()
    expect(frame.locator('[data-testid="node-conv1"]')).to_have_count(0)
    assert page.url == url
    expect(_status(page)).to_contain_text("34,826 params")


def _frame_the_design(page, frame):
    """Fit, zoom in and select conv2, so that the cards and the inspector read well."""
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(400)
    for _ in range(3):
        frame.locator(".react-flow__controls-zoomin").click()
        page.wait_for_timeout(300)
    frame.locator('[data-testid="node-conv2"]').click()
    expect(page.get_by_role("heading", name="Conv2d")).to_be_visible()
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    page.wait_for_timeout(800)


def test_screenshots_of_both_themes(app_url, page):
    frame = _open(page, app_url)
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(600)
    _frame_the_design(page, frame)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "designer-light.png"))

    page.get_by_text("Dark theme").click()  # the page reloads in Streamlit's dark theme
    page.wait_for_timeout(1500)
    frame = page.frame_locator(IFRAME)
    frame.locator(".ll-root.ll-dark").wait_for()
    frame.locator('[data-testid="node-conv2"]').wait_for()
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert background != "rgb(255, 255, 255)", background
    _frame_the_design(page, frame)
    page.screenshot(path=str(SHOTS / "designer-dark.png"))
    page.get_by_text("Dark theme").click()  # back to light for the next run
    page.wait_for_timeout(1500)
