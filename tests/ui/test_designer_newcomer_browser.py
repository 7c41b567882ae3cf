"""The designer as a newcomer drives it, in a real browser at 1440×900 (Debian's Chromium driven by
Playwright against the app started on a free port with a fresh ``LAYERLOOM_HOME``).

- From a blank design, build the seed CNN (Input 1×28×28 → Conv2d → ReLU → MaxPool2d → Conv2d →
  ReLU → MaxPool2d → Flatten → Linear(10) → Output, 34,826 params) with search-to-add only: a
  double-click on the canvas for the first block, then a wire dropped on empty space for each
  next one (the new block comes wired). The zoom is never touched: it stays readable (≥ 0.75)
  with every block on screen. A refused wire says why; F fits; the right-click menu of the empty
  canvas offers add, auto layout and fit; the view survives a reload.
- Open resnet18 and efficientnet-b0: after Fit, the zoom is readable and every top-level block
  is on screen or a scroll away.

Screenshots (``designer-blank.png``, ``designer-seed-cnn.png``, ``designer-resnet18.png``) go to
the screenshots folder (``shots``, tests/ui/conftest.py). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
READABLE = 0.75  # the canvas's least automatic zoom: its node text is >= 10 px there
# React Flow pans the view while a wire's loose end is this close (px) to the pane's edge, some
# pixels a frame: a wire dropped there pans by as many frames as the drop takes (more on a loaded
# machine), carrying the blocks at the other edge out of the pane
AUTO_PAN_BAND = 40
CARD_MAX_W = 200  # a block's card at zoom 1, at its widest (styles.css, .ll-node's max-width)
SEED_CHAIN = [("input", "Input"), ("conv2d", "Conv2d"), ("relu", "ReLU"),
              ("maxpool", "MaxPool2d"), ("conv2d", "Conv2d"), ("relu", "ReLU"),
              ("maxpool", "MaxPool2d"), ("flatten", "Flatten"), ("linear", "Linear"),
              ("output", "Output")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def projects(create_projects):
    """A blank design and the two big templates, made before the app starts."""
    from layerloom.graph import Graph
    from layerloom.graph.templates import load_template

    return create_projects({"blank": Graph(name="untitled"),
                            "resnet18": load_template("resnet18"),
                            "efficientnet-b0": load_template("efficientnet-b0")})


@pytest.fixture(scope="module")
def app_url(projects, app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1440, "height": 900}) as pg:
        yield pg


def _open(page, url: str, pid: str, ready: str):
    page.goto(f"{url}/?project={pid}")
    frame = page.frame_locator(IFRAME)
    frame.locator(ready).first.wait_for(timeout=3 * TIMEOUT_MS)  # a first load is slow under load
    return frame


def _zoom(frame) -> float:
    return float(frame.locator('[data-testid="canvas-zoom"]').get_attribute("data-zoom"))


def _pane(frame) -> dict:
    return frame.locator(".react-flow__pane").bounding_box()


def _saved(home: Path, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def _inside(box: dict, pane: dict, slack: float = 1) -> bool:
    return (box["x"] >= pane["x"] - slack and box["y"] >= pane["y"] - slack
            and box["x"] + box["width"] <= pane["x"] + pane["width"] + slack
            and box["y"] + box["height"] <= pane["y"] + pane["height"] + slack)


def _pick(page, frame, query: str, node_id: str, shot: Path | None = None) -> dict:
    """Search-to-add is open: type ``query``, take the top hit with Enter, wait for the block."""
    search = frame.locator('[data-testid="quick-add-search"]')
    expect(search).to_be_focused()
    search.press_sequentially(query)
    top = frame.locator('[data-testid^="quick-add-item-"]').first
    expect(top).to_be_visible()
    if shot is not None:
        page.screenshot(path=str(shot))
    search.press("Enter")
    node = frame.locator(f'[data-testid="node-{node_id}"]')
    node.wait_for()
    expect(frame.locator('[data-testid="quick-add"]')).to_have_count(0)
    return node.bounding_box()


def _shown(locator, timeout_ms: float = 15_000) -> bool:
    try:
        locator.wait_for(timeout=timeout_ms)
        return True
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        return False


def _drop_wire(page, frame, source: str, x: float, y: float) -> None:
    """Drag a wire out of ``source``'s output and let it go at (x, y), on empty canvas."""
    handle = frame.locator(f'.react-flow__handle.source[data-nodeid="{source}"]').bounding_box()
    hx, hy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move((hx + x) / 2, (hy + y) / 2, steps=6)
    page.mouse.move(x, y, steps=6)
    page.mouse.up()


def _type_param(page, name: str, value: str, took_effect, tries: int = 3) -> None:
    """Type into the inspector's ``name`` box and press Enter until ``took_effect()`` passes (on
    a loaded machine a rerun can drop what was typed)."""
    for attempt in range(tries):
        box = page.get_by_label(name, exact=True).first  # a text or a number box
        box.fill(value)
        box.press("Enter")
        try:
            took_effect()
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


def test_build_the_seed_cnn_from_blank_with_search_to_add(app_url, page, projects, app_home,
                                                          shots):
    pid = projects["blank"]
    frame = _open(page, app_url, pid, '[data-testid="canvas-blank"]')
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "designer-blank.png"))
    pane = _pane(frame)
    zoom0 = _zoom(frame)
    assert zoom0 >= READABLE

    # the first block: double-click on the empty canvas, search "input", Enter
    frame.locator(".react-flow__pane").dblclick(position={"x": 130, "y": 70})
    last = _pick(page, frame, "input", "input1")
    ids = ["input1"]
    viewport = frame.locator(".react-flow__viewport")
    view0 = _transform(viewport.get_attribute("style"))
    counts: dict[str, int] = {"input": 1}
    for query, block in SEED_CHAIN[1:]:
        # the pane and the last block where they are now, not where they were: whatever changes
        # height above the canvas as the page redraws moves the whole canvas down the page
        pane = _pane(frame)
        last = frame.locator(f'[data-testid="node-{ids[-1]}"]').bounding_box()
        # the next block: drop a wire from the last one on empty space to its right, or at the
        # start of a new row when the row is full
        x = last["x"] + last["width"] + 60
        y = last["y"] + last["height"] / 2
        if x + (CARD_MAX_W + 6) * zoom0 > pane["x"] + pane["width"]:  # it lands 4 px right of x
            # below everything so far (cards can have grown since: shapes, param counts)
            row_bottom = max(b["y"] + b["height"] for b in (
                frame.locator(f'[data-testid="node-{i}"]').bounding_box() for i in ids))
            # left of the pane, outside the band where the wire would pan the view
            x, y = pane["x"] + AUTO_PAN_BAND + 4, row_bottom + 100
        assert y < pane["y"] + pane["height"] - AUTO_PAN_BAND, "the pane is too short"
        base = block.lower()
        counts[base] = counts.get(base, 0) + 1
        node_id = f"{base}{counts[base]}"
        _drop_wire(page, frame, ids[-1], x, y)
        if not _shown(frame.locator('[data-testid="quick-add-search"]')):
            _drop_wire(page, frame, ids[-1], x, y)  # a drag lost to a loaded machine: again
        shot = shots / "designer-search-to-add.png" if node_id == "maxpool2d1" else None
        last = _pick(page, frame, query, node_id, shot)
        ids.append(node_id)
        # each block came where its wire was dropped, in the pane: the view never moved
        assert _transform(viewport.get_attribute("style")) == view0, f"adding {node_id} moved the view"

    # every block came wired, in order, and the right block came for each search
    expect(frame.locator('[data-testid="canvas-status"]')).to_contain_text("10 blocks")

    def chain_saved():
        graph = _saved(app_home, pid)
        assert [n["type"] for n in graph["nodes"]] == [b for _, b in SEED_CHAIN]
        assert {(e["source"], e["target"]) for e in graph["edges"]} == set(zip(ids, ids[1:]))

    _retry(chain_saved)

    # the seed CNN's params: the Input's shape and the second conv's 64 filters
    frame.locator('[data-testid="node-input1"]').click()
    _type_param(page, "shape", "1, 28, 28", lambda: expect(
        frame.locator('[data-testid="node-conv2d1"]')).to_contain_text("32×26×26"))
    frame.locator('[data-testid="node-conv2d2"]').click()
    _type_param(page, "out_channels", "64", lambda: expect(
        page.locator(".st-key-statusbar")).to_contain_text("34,826 params"))
    expect(page.locator(".st-key-statusbar")).to_contain_text("valid")
    expect(frame.locator('[data-testid="edge-label-flatten1-linear1"]')).to_have_text("1600")

    # never zoomed: the zoom is what it was, readable, and every block is on screen
    assert _zoom(frame) == zoom0 >= READABLE
    pane = _pane(frame)
    for node_id in ids:
        box = frame.locator(f'[data-testid="node-{node_id}"]').bounding_box()
        assert _inside(box, pane), f"{node_id} at {box} is off the canvas {pane}"
    font = frame.locator('[data-testid="node-conv2d1"] .ll-type').evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font * zoom0 >= 10
    page.screenshot(path=str(shots / "designer-seed-cnn.png"))

    # paste lands at the pointer, not on top of the original
    frame.locator('[data-testid="node-flatten1"]').click()
    page.keyboard.press("Control+c")
    spot_x, spot_y = pane["x"] + pane["width"] - 190, pane["y"] + 40
    page.mouse.move(spot_x, spot_y)
    page.keyboard.press("Control+v")
    pasted = frame.locator('[data-testid="node-flatten2"]')
    pasted.wait_for()
    box = pasted.bounding_box()
    assert abs(box["x"] - spot_x) < 4 and abs(box["y"] - spot_y) < 4, (box, spot_x, spot_y)
    page.keyboard.press("Delete")
    expect(pasted).to_have_count(0)

    # the palette's search ranks names first
    search = frame.locator('[data-testid="palette-search"]')
    for query, first in (("input", "Input"), ("linear", "Linear"), ("maxpool", "MaxPool2d")):
        search.fill(query)
        expect(frame.locator('[data-testid^="palette-item-"]').first).to_have_attribute(
            "data-testid", f"palette-item-{first}")
    search.fill("")

    # a refused wire says why: nothing goes into an Input
    frame.locator('[data-testid="node-relu1"]').click()
    target = frame.locator('[data-testid="node-input1"] .ll-head').bounding_box()
    _drop_wire(page, frame, "relu1", target["x"] + 20, target["y"] + target["height"] / 2)
    toast = frame.locator('[data-testid="canvas-toast"]')
    expect(toast).to_contain_text("Input has no input port")
    # the message never stands in the way: blocks under it stay usable, and it gives way as
    # soon as the user drags a block (here there and back)
    expect(toast).to_have_css("pointer-events", "none")
    head = frame.locator('[data-testid="node-relu1"] .ll-head').bounding_box()
    x0, y0 = head["x"] + 12, head["y"] + head["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 30, y0 + 20, steps=4)
    expect(toast).to_have_count(0)
    page.mouse.move(x0, y0, steps=4)
    page.mouse.up()

    # the right-click menu of the empty canvas: add, auto layout, fit
    empty_x = pane["x"] + pane["width"] - 40
    empty_y = pane["y"] + 30
    page.mouse.click(empty_x, empty_y, button="right")
    menu = frame.locator('[data-testid="canvas-menu"]')
    for item in ("Add block…", "Auto layout", "Fit view"):
        expect(menu.get_by_role("menuitem", name=item)).to_be_visible()
    menu.get_by_role("menuitem", name="Fit view").click()
    page.wait_for_timeout(400)
    # F fits too; neither goes below the readable zoom
    frame.locator(".react-flow__pane").click(position={"x": 10, "y": 10})
    page.keyboard.press("f")
    page.wait_for_timeout(400)
    assert _zoom(frame) >= READABLE
    view = _settled_style(page, frame.locator(".react-flow__viewport"))

    # the view is kept across a reload
    page.reload()
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-output1"]').wait_for(timeout=3 * TIMEOUT_MS)
    expect(frame.locator(".react-flow__viewport")).to_have_attribute(
        "style", re.compile(re.escape(_transform(view))))


def _settled_style(page, locator, quiet_ms: int = 300, tries: int = 40) -> str:
    """The element's style once it has stopped changing for ``quiet_ms`` (a fit animates its
    view, and on a loaded machine for longer than its nominal 250 ms)."""
    style = locator.get_attribute("style")
    for _ in range(tries):
        page.wait_for_timeout(quiet_ms)
        now = locator.get_attribute("style")
        if now == style:
            return now
        style = now
    raise AssertionError(f"the view kept moving: {style}")


def _transform(style: str) -> str:
    return re.search(r"transform: ([^;]+)", style).group(1)


def _retry(check, tries: int = 60, wait_s: float = 0.5) -> None:
    import time

    for attempt in range(tries):
        try:
            check()
            return
        except (AssertionError, KeyError, ValueError):
            if attempt == tries - 1:
                raise
            time.sleep(wait_s)


@pytest.mark.parametrize("template", ["resnet18", "efficientnet-b0"])
def test_big_templates_are_legible_after_fit(app_url, page, projects, template, shots):
    from layerloom.graph.templates import load_template

    top = [n.id for n in load_template(template).nodes]
    frame = _open(page, app_url, projects[template], f'[data-testid="node-{top[0]}"]')
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(500)
    zoom = _zoom(frame)
    assert zoom >= READABLE
    pane = _pane(frame)
    if template == "resnet18":
        page.screenshot(path=str(shots / "designer-resnet18.png"))
    # every top-level block is on screen, or a scroll away (the wheel pans the canvas)
    page.mouse.move(pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2)
    for node_id in top:
        node = frame.locator(f'[data-testid="node-{node_id}"]')
        for _ in range(40):
            box = node.bounding_box()
            if _inside(box, pane):
                break
            dy = box["y"] + box["height"] - (pane["y"] + pane["height"])
            dx = box["x"] + box["width"] - (pane["x"] + pane["width"])
            page.mouse.wheel(max(min(dx, 120), -120) if dx > 0 or box["x"] < pane["x"] else 0,
                             120 if dy > 0 else (-120 if box["y"] < pane["y"] else 0))
            page.wait_for_timeout(60)
        assert _inside(node.bounding_box(), pane), f"{node_id} cannot be brought on screen"
        assert _zoom(frame) == zoom  # scrolling pans, it does not zoom

    if template == "resnet18":
        # inside a block, its Input card shows the shape where the block is used
        frame.locator('[data-testid="node-layer2_0"]').dblclick()
        inner = frame.locator('[data-testid="node-x"]')
        expect(inner).to_contain_text("64×56×56", timeout=3 * TIMEOUT_MS)
        expect(inner.locator(".ll-params")).to_contain_text("64×56×56")
        assert _zoom(frame) >= READABLE
