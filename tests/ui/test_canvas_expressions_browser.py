"""Params written as expressions read on the canvas at its automatic zoom (Chromium via
Playwright, the app on a free port with a fresh ``LAYERLOOM_HOME``): efficientnet-b0's stem
convolution shows ``out_channels 32`` with its compound-scaling expression under it, wrapped
to two lines (the whole of it on hover), not ``=max(8, …``; a short one takes one line; and no
two blocks overlap, at 1280x720 and 1920x1080, in the template's own layout and
in the canvas's auto layout. Screenshots ``expressions-*.png`` go to the screenshots folder."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
STEM = ("=max(8, int(32 * width + 4) // 8 * 8) + (8 if max(8, int(32 * width + 4) // 8 * 8) "
        "< 0.9 * 32 * width else 0)")
SIZES = [(1280, 720), (1920, 1080)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def projects(create_projects):
    """efficientnet-b0 as the template places it, and without positions (the canvas lays it
    out), made before the app starts."""
    from layerloom.graph import dumps_graph, loads_graph
    from layerloom.graph.templates import load_template

    doc = json.loads(dumps_graph(load_template("efficientnet-b0")))
    for node in doc["nodes"]:
        node.pop("position", None)
    return create_projects({"placed": load_template("efficientnet-b0"),
                            "laid out": loads_graph(json.dumps(doc))})


@pytest.fixture(scope="module")
def app_url(projects, app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


def _boxes(frame) -> dict:
    nodes = frame.locator(".react-flow__node")
    return {nodes.nth(i).get_attribute("data-id"): nodes.nth(i).bounding_box()
            for i in range(nodes.count())}


def _overlaps(boxes: dict) -> list:
    ids = list(boxes)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            p, q = boxes[a], boxes[b]
            if p["x"] < q["x"] + q["width"] and q["x"] < p["x"] + p["width"] \
                    and p["y"] < q["y"] + q["height"] and q["y"] < p["y"] + p["height"]:
                out.append((a, b))
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["placed", "laid out"])
def test_long_expressions_read_on_the_block_and_nothing_overlaps(
        app_url, projects, browser, browser_page, shots, size, which):
    width, height = size
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/?project={projects[which]}")
        frame = page.frame_locator(IFRAME)
        frame.locator('[data-testid="node-stem_conv"]').wait_for(timeout=3 * TIMEOUT_MS)
        page.wait_for_timeout(1500)  # measured, placed and fitted
        param = frame.locator('[data-testid="param-stem_conv-out_channels"]')
        # what it gives, on the row where a value goes
        expect(param.locator(".ll-pvalue")).to_have_text("32")
        # the expression under it, whole in the text, wrapped to two lines at most
        expr = param.locator(".ll-pexpr")
        expect(expr).to_have_text(STEM)
        zoom = float(frame.locator('[data-testid="canvas-zoom"]').get_attribute("data-zoom"))
        assert zoom >= 0.75
        lines = expr.bounding_box()["height"] / zoom / 18
        assert 1.5 < lines <= 2.05, lines
        assert param.get_attribute("title") == f"out_channels: {STEM} → 32"
        # the card did not grow wider than a card: the expression wraps inside it
        card = frame.locator('[data-testid="node-stem_conv"]').bounding_box()
        assert card["width"] / zoom <= 201
        # a short one on one line: the Linear's =classes under its 1000 (no room beside it)
        fc = frame.locator('[data-testid="param-fc-out_features"]')
        expect(fc.locator(".ll-pvalue")).to_have_text("1000")
        expect(fc.locator(".ll-pexpr")).to_have_text("=classes")
        assert fc.locator(".ll-pexpr").bounding_box()["height"] / zoom / 18 < 1.1
        assert _overlaps(_boxes(frame)) == []
        page.screenshot(path=str(shots / f"expressions-{which.replace(' ', '-')}-{width}.png"))
