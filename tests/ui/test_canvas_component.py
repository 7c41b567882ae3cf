"""The canvas component: its built bundle, its Python wrapper, its JS unit tests, and a
real-browser smoke test of the component alone (ui/canvas/demo_app.py).

The browser tests start Streamlit on a free port, drive Debian's Chromium with Playwright, and
check that palette drag, wiring, keyboard delete, undo, multi-select and "Group as block" reach
Python as events. Screenshots of both themes go to the screenshots folder (``shots``,
tests/ui/conftest.py: a temporary folder, or ``assets/screenshots/`` with ``make screenshots``).
They are skipped where /usr/bin/chromium or playwright is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "ui" / "canvas" / "frontend"
IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 20_000


# ---- without a browser --------------------------------------------------------------------

def test_canvas_bundle_is_committed_and_loads_relative_assets():
    index = (FRONTEND / "build" / "index.html").read_text(encoding="utf-8")
    assets = re.findall(r'(?:src|href)="([^"]+)"', index)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("./"), f"{asset} must be relative (Vite base './')"
        assert (FRONTEND / "build" / asset).is_file(), f"{asset} is missing from the build"
    size = sum(p.stat().st_size for p in (FRONTEND / "build").rglob("*") if p.is_file())
    assert size < 700_000, f"bundle grew to {size} bytes"


def test_canvas_wrapper_sends_one_level_with_a_stable_key(monkeypatch):
    import layerloom.ui.canvas as canvas_module

    calls = []

    def fake_component(**kwargs):
        calls.append(kwargs)
        return {"seq": 1, "event": "select", "graph": {"nodes": [], "edges": []}, "selected": []}

    monkeypatch.setattr(canvas_module, "_component", fake_component)
    graph = {"format": "layerloom-graph", "version": 1, "name": "g", "variables": {"w": 1},
             "nodes": [{"id": "x", "type": "Input"}], "edges": []}
    event = canvas_module.canvas(graph, [{"type": "Input"}], {}, height=500)
    assert event["event"] == "select"
    sent = calls[0]
    assert sent["graph"] == {"nodes": [{"id": "x", "type": "Input"}], "edges": []}
    assert sent["key"] == "layerloom_canvas"  # so the iframe survives graph changes
    assert sent["selected"] is None and sent["theme"] == "light" and sent["height"] == 500
    assert sent["ack"] is None  # the old contract: the canvas takes only a changed graph
    canvas_module.canvas(graph, [], {}, selected=["x"], theme="dark", key="k", ack=17)
    assert calls[1]["selected"] == ["x"] and calls[1]["key"] == "k"
    assert calls[1]["ack"] == 17
    with pytest.raises(ValueError, match="theme must be"):
        canvas_module.canvas(graph, [], {}, theme="blue")


def test_canvas_graph_logic_js_unit_tests(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    # in a copy without node_modules, as on a fresh clone (CI installs no npm package): a test
    # that reaches a module importing React passes where the packages are and fails there.
    # The copy sits as deep as the front end does, beside the templates the tests read.
    copy = tmp_path / FRONTEND.relative_to(ROOT)
    for part in ("src", "tests"):
        shutil.copytree(FRONTEND / part, copy / part)
    shutil.copy(FRONTEND / "package.json", copy / "package.json")
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    run = subprocess.run([node, "--test", "tests/"], cwd=copy, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert re.search(r"^# fail 0$", run.stdout, re.M), run.stdout[-2000:]


# ---- in a real browser --------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_url(tmp_path_factory, streamlit_app):
    log = tmp_path_factory.mktemp("canvas-demo") / "server.log"
    with streamlit_app(["streamlit", "run", str(ROOT / "ui" / "canvas" / "demo_app.py")],
                       log=log, no_traceback=False) as url:
        yield url


@pytest.fixture
def page(browser, browser_page):
    # twice the pixels, so the screenshots stay legible when the whole graph is in view
    with browser_page(browser, viewport={"width": 1600, "height": 1000},
                      device_scale_factor=2) as pg:
        yield pg


def _open(page, url):
    page.goto(url)
    page.wait_for_selector(IFRAME, timeout=TIMEOUT_MS)
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-conv1"]').wait_for(timeout=TIMEOUT_MS)
    return frame


def _last_event(page, predicate, what):
    """The demo's event summary once `predicate` holds for it (polls the st.code block)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    text = ""
    while time.monotonic() < deadline:
        text = page.locator('[data-testid="stCode"]').first.inner_text()
        try:
            summary = json.loads(text)
        except ValueError:
            summary = None
        if summary and predicate(summary):
            return summary
        time.sleep(0.2)
    pytest.fail(f"no event with {what}; last summary: {text}")


def _canvas_agrees(page, frame):
    """Wait until the canvas shows as many blocks as the demo's Python state holds, and check
    that it stays so."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    caption = page.get_by_text(re.compile(r"^Python holds \d+ blocks"))
    status = frame.locator('[data-testid="canvas-status"]')
    shown = held = None
    while time.monotonic() < deadline:
        held = int(re.match(r"Python holds (\d+)", caption.inner_text()).group(1))
        shown = int(re.match(r"(\d+) blocks", status.inner_text()).group(1))
        if shown == held:
            page.wait_for_timeout(500)
            held = int(re.match(r"Python holds (\d+)", caption.inner_text()).group(1))
            shown = int(re.match(r"(\d+) blocks", status.inner_text()).group(1))
            assert shown == held, f"the canvas shows {shown} blocks, Python holds {held}"
            return
        time.sleep(0.1)
    pytest.fail(f"the canvas shows {shown} blocks, Python holds {held}")


@pytest.mark.browser
def test_palette_drag_wire_delete_undo(page, app_url, drag, shots):
    frame = _open(page, app_url)
    # every node of the demo shows up, with its shape and the error/warning outlines
    for node in ("image", "conv1", "add", "block", "probs", "conv3"):
        frame.locator(f'[data-testid="node-{node}"]').wait_for()
    assert "ll-error" in frame.locator('[data-testid="node-conv3"]').get_attribute("class")
    assert "Conv2d needs" in frame.locator('[data-testid="node-conv3"]').get_attribute("title")
    assert "ll-warning" in frame.locator('[data-testid="node-soft"]').get_attribute("class")
    assert "×2" in frame.locator('[data-testid="node-block"]').inner_text()
    assert frame.locator('[data-testid="edge-label-pool-block"]').inner_text() == "32×14×14"

    # search narrows the palette, then drag Linear onto an empty spot of the canvas
    frame.locator('[data-testid="palette-search"]').fill("line")
    assert frame.locator('[data-testid="palette-item-Conv2d"]').count() == 0
    pane = frame.locator(".react-flow__pane")
    box = pane.bounding_box()
    frame.locator('[data-testid="palette-item-Linear"]').drag_to(
        pane, target_position={"x": box["width"] * 0.55, "y": box["height"] * 0.7})
    summary = _last_event(page, lambda s: "linear1" in s["nodes"], "linear1 in the graph")
    assert summary["event"] == "change"
    assert summary["selected"] == ["linear1"]
    linear = frame.locator('[data-testid="node-linear1"]')
    linear.wait_for()

    # wire flat's output to linear1's input
    drag(page, frame.locator('.react-flow__handle.source[data-nodeid="flat"]'),
         frame.locator('.react-flow__handle.target[data-nodeid="linear1"]'))
    summary = _last_event(page, lambda s: "flat->linear1" in s["edges"], "edge flat->linear1")
    assert summary["event"] == "change"

    # keyboard delete sends the change at once
    linear.click()
    page.keyboard.press("Delete")
    summary = _last_event(page, lambda s: "linear1" not in s["nodes"], "linear1 deleted")
    assert "flat->linear1" not in summary["edges"]
    assert frame.locator('[data-testid="node-linear1"]').count() == 0

    # undo: Python (the demo) restores its previous level and the canvas shows it again
    frame.locator('[data-testid="btn-undo"]').click()
    undone = _last_event(page, lambda s: s["event"] == "undo", "an undo event")
    linear.wait_for(timeout=TIMEOUT_MS)
    _canvas_agrees(page, frame)

    # delete and undo at once, before Python's rerun for the delete has drawn it: Python answers
    # the undo with the graph the canvas was last given, which it must show all the same (the
    # `ack` argument changes, so Streamlit delivers it)
    for _ in range(3):
        linear.click()
        page.keyboard.press("Delete")
        frame.locator('[data-testid="btn-undo"]').click()
        undone = _last_event(page, lambda s, seq=undone["seq"]: s["event"] == "undo"
                             and s["seq"] > seq, "a newer undo event")
        _canvas_agrees(page, frame)
    linear.wait_for(timeout=TIMEOUT_MS)

    frame.locator('[data-testid="palette-search"]').fill("")
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(600)
    page.locator(IFRAME).screenshot(path=str(shots / "canvas.png"))


@pytest.mark.browser
def test_dark_theme_and_group(page, app_url, shots):
    frame = _open(page, f"{app_url}/?theme=dark")
    assert frame.locator(".ll-root.ll-dark").count() == 1
    group = frame.locator('[data-testid="btn-group"]')
    assert group.is_disabled()
    frame.locator('[data-testid="node-conv1"]').click()
    frame.locator('[data-testid="node-relu1"]').click(modifiers=["Shift"])
    summary = _last_event(page, lambda s: len(s["selected"]) == 2, "two nodes selected")
    assert summary["event"] == "select"
    assert group.is_enabled()
    group.click()
    summary = _last_event(page, lambda s: s["event"] == "group", "a group event")
    assert sorted(summary["ids"]) == ["conv1", "relu1"]
    frame.locator('[data-testid="btn-fit"]').click()
    page.mouse.move(5, 5)
    page.wait_for_timeout(600)
    page.locator(IFRAME).screenshot(path=str(shots / "canvas-dark.png"))
