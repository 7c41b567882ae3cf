"""Blocks with several outputs on the canvas, in a real browser: a Chunk and a composite with two
Output nodes draw one labelled source handle per output, with its shape; wires loaded with
``source_port`` start at the right handle and their labels show that output's shape; a wire
dragged from an output saves ``source_port``. The app is a few lines written here around the
canvas component, fed by ``layerloom.graph.edit`` (catalog, annotations) as the designer is."""

from __future__ import annotations

import json
import time

import pytest

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 20_000

GRAPH = {
    "format": "layerloom-graph", "version": 1, "name": "ports",
    "blocks": {"TwoWay": {"params": {}, "nodes": [
        {"id": "inp", "type": "Input"},
        {"id": "main", "type": "Output"},
        {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"id": "flat", "type": "Flatten"},
        {"id": "side", "type": "Output"}],
        "edges": [{"source": "inp", "target": "main"}, {"source": "inp", "target": "pool"},
                  {"source": "pool", "target": "flat"}, {"source": "flat", "target": "side"}]}},
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [8, 6, 6]}, "position": [0, 0]},
        {"id": "split", "type": "Chunk", "params": {"chunks": 2}, "position": [260, 0]},
        {"id": "a", "type": "ReLU", "position": [560, -120]},
        {"id": "b", "type": "Conv2d", "params": {"out_channels": 3, "kernel_size": 1},
         "position": [560, 60]},
        {"id": "c", "type": "ReLU", "position": [560, 260]},
        {"id": "two", "type": "TwoWay", "position": [860, 60]},
        {"id": "y", "type": "Output", "position": [1160, -40]},
        {"id": "z", "type": "Output", "position": [1160, 160]},
        {"id": "w", "type": "Output", "position": [1160, -180]},
    ],
    "edges": [
        {"source": "x", "target": "split"},
        {"source": "split", "target": "a", "source_port": 0},
        {"source": "split", "target": "b", "source_port": "1"},
        {"source": "b", "target": "two"},
        {"source": "two", "target": "y", "source_port": "side"},
        {"source": "two", "target": "z"},
        {"source": "a", "target": "w"},
    ],
}

APP = '''
import json

import streamlit as st

from layerloom.graph import edit, load_graph, validate
from layerloom.ui.canvas import canvas, events

GRAPH = json.loads(%r)
state = st.session_state
if "level" not in state:
    state.level = {"nodes": GRAPH["nodes"], "edges": GRAPH["edges"]}
    state.seq, state.last = 0, None
for event in events(state.get("ports")):
    if event["seq"] > state.seq:
        state.seq, state.last = event["seq"], event
        if event["event"] == "change":
            state.level = event["graph"]
graph = load_graph({**GRAPH, **state.level})
canvas(state.level, edit.catalog(graph), edit.annotations(validate(graph)), key="ports",
       ack=state.seq, height=700)
st.code(json.dumps(state.level["edges"]))
'''


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, streamlit_app):
    folder = tmp_path_factory.mktemp("canvas-ports")
    script = folder / "ports_app.py"
    script.write_text(APP % json.dumps(GRAPH), encoding="utf-8")
    with streamlit_app(["streamlit", "run", str(script)], log=folder / "server.log") as url:
        yield url


def _edges(page, predicate, what):
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    text = ""
    while time.monotonic() < deadline:
        text = page.locator('[data-testid="stCode"]').first.inner_text()
        try:
            edges = json.loads(text)
        except ValueError:
            edges = None
        if edges and predicate(edges):
            return edges
        time.sleep(0.2)
    pytest.fail(f"no graph with {what}; last edges: {text}")


@pytest.mark.browser
def test_outputs_draw_as_labelled_handles_and_wires_keep_their_port(
        browser, browser_page, app_url, drag, shots):
    with browser_page(browser, viewport={"width": 1500, "height": 900}) as page:
        page.goto(app_url)
        page.wait_for_selector(IFRAME, timeout=TIMEOUT_MS)
        frame = page.frame_locator(IFRAME)
        frame.locator('[data-testid="node-split"]').wait_for(timeout=TIMEOUT_MS)
        frame.locator('[data-testid="btn-fit"]').click()
        # one labelled handle per output, with the output's shape (from Python's annotations)
        first = frame.locator('[data-testid="out-split-0"]')
        first.wait_for(timeout=TIMEOUT_MS)
        assert first.inner_text().split() == ["4×6×6", "0"]
        assert frame.locator('[data-testid="out-split-1"]').inner_text().split() == \
            ["4×6×6", "1"]
        assert frame.locator('[data-testid="out-two-1"]').inner_text().split() == ["3", "side"]
        assert frame.locator('[data-testid="out-two-0"]').inner_text().split() == \
            ["3×6×6", "main"]
        for node in ("split", "two"):  # no single "out" handle beside them
            assert frame.locator(f'.react-flow__handle.source[data-nodeid="{node}"]'
                                 f'[data-handleid="out"]').count() == 0
        # every wire is drawn, each from its output; labels carry that output's shape
        assert frame.locator(".react-flow__edge").count() == len(GRAPH["edges"])
        assert frame.locator('[data-testid="edge-label-two-y"]').inner_text() == "3"
        assert frame.locator('[data-testid="edge-label-two-z"]').inner_text() == "3×6×6"
        assert frame.locator('[data-testid="edge-label-split-b"]').inner_text() == "4×6×6"
        # a wire dragged from the Chunk's second output saves source_port 1
        drag(page, frame.locator('.react-flow__handle.source[data-nodeid="split"]'
                                 '[data-handleid="out:1"]'),
             frame.locator('.react-flow__handle.target[data-nodeid="c"]'))
        edges = _edges(page, lambda es: any(e["target"] == "c" for e in es), "a wire into c")
        assert {"source": "split", "target": "c", "source_port": 1} in edges
        # the wires loaded with source_port went back to Python as they were written
        for edge in GRAPH["edges"]:
            assert edge in edges
        page.locator(IFRAME).screenshot(path=str(shots / "canvas-ports.png"))
