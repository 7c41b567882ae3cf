"""Wire labels in the browser at 1366x768: a label wider than the gap between its cards was
covered by them and showed its clipped middle ("2×1×1" for 32×1×10 between Linear and Output,
an outside tester's design); labels of wires side by side covered each other. Now every label
shown is clear of the cards and of the other labels, and one with no room on its wire is a
short mark whose tooltip has the text (src/wires.js placeLabels; its unit tests are
frontend/tests/label_place.test.js)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 30_000


def _design():
    from layerloom.graph import load_graph

    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "labels",
        "nodes": [
            {"id": "input1", "type": "Input", "params": {"shape": [32, 4, 4]}, "position": [0, 0]},
            {"id": "pool1", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1},
             "position": [280, 0]},
            {"id": "linear1", "type": "Linear", "params": {"out_features": 10},
             "position": [560, 0]},
            {"id": "output1", "type": "Output", "position": [800, 0]}],  # 40 px after Linear
        "edges": [{"source": "input1", "target": "pool1"}, {"source": "pool1", "target": "linear1"},
                  {"source": "linear1", "target": "output1"}]})


@pytest.fixture(scope="module")
def project(app_home):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERLOOM_HOME", str(app_home))
        from layerloom.ui.projects import ProjectStore

        return ProjectStore().create(_design())


@pytest.fixture(scope="module")
def app_url(project, app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


def _rects(frame, selector: str) -> list[dict]:
    return frame.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return {id: e.dataset.id ||"
        " e.dataset.testid, text: e.innerText, full: e.dataset.label, title: e.title, x: r.x,"
        " y: r.y, w: r.width, h: r.height}; })")


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def test_wire_labels_are_never_clipped_by_cards_nor_cover_each_other(
        app_url, project, browser, browser_page, shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1366, "height": 768}) as page:
        page.goto(f"{app_url}/?project={project}")
        frame = page.frame_locator(IFRAME)
        label = frame.locator('[data-testid="edge-label-linear1-output1"]')
        label.wait_for(timeout=3 * TIMEOUT_MS)
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe')].some(f => { try { const e = f"
            ".contentDocument.querySelector('[data-testid=\"edge-label-linear1-output1\"]');"
            " return e && e.dataset.label === '32×1×10'; } catch (x) { return false; } })",
            timeout=TIMEOUT_MS)
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "canvas-labels-1366.png"))
        cards = _rects(frame, ".react-flow__node")
        labels = _rects(frame, ".ll-edge-label")
        assert len(cards) == 4 and len(labels) == 3
        for lab in labels:
            for card in cards:
                assert not _overlap(lab, card), (lab, card)
        for i, a in enumerate(labels):
            for b in labels[i + 1:]:
                assert not _overlap(a, b), (a, b)
        short = next(lab for lab in labels if lab["id"] == "edge-label-linear1-output1")
        # 32×1×10 is wider than the 40 px between Linear and Output: a mark with the text in
        # its tooltip, never a clipped middle
        assert short["full"] == "32×1×10"
        assert short["text"] == "…" and short["title"] == "32×1×10"
        whole = next(lab for lab in labels if lab["id"] == "edge-label-input1-pool1")
        assert whole["text"] == whole["full"] == "32×4×4"
