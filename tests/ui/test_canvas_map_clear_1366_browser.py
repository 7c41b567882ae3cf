"""The design's map covers no card of a design a newcomer opens, at a 1366×768 window in a real
browser (Debian's Chromium driven by Playwright against the designer on a free port with a
fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

The design note's Keras CNN (the seed-cnn template, and the same network laid out by the
canvas with its Flatten left out, as a newcomer first writes it) opened with the map in the
pane's bottom-right corner over its Linear block: the very card that says to add a Flatten.
The map is shown only where some of the design is out of view, and then in the first corner
where it covers no card; where the whole map covers one in every corner, narrower in the first
corner where that covers none (offview.js ``mapPlace``, Canvas.jsx ``OutOfView``).

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, outside, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def _keras_cnn():
    """The design note's Keras Sequential CNN as a newcomer wires it: no Flatten before the
    Linear (its card says to add one), no positions (the canvas lays it out)."""
    return linked("keras-cnn", [
        ("image", "Input", {"shape": [1, 28, 28]}),
        ("conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3}), ("relu1", "ReLU", {}),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3}), ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("fc", "Linear", {"out_features": 10}), ("softmax", "Softmax", {}),
        ("probs", "Output", {})])


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"seed-cnn": load_template("seed-cnn"), "keras": _keras_cnn()}


def _covered(boxes: dict[str, dict], over: dict | None) -> list[str]:
    """The blocks whose card ``over`` (a box on the page, or None) overlaps."""
    if not over:
        return []
    return [i for i, b in boxes.items()
            if min(b["x"] + b["width"], over["x"] + over["width"]) - max(b["x"], over["x"]) > 0.5
            and min(b["y"] + b["height"], over["y"] + over["height"]) - max(b["y"], over["y"])
            > 0.5]


def _box(frame, selector: str) -> dict | None:
    found = frame.locator(selector)
    return found.bounding_box() if found.count() else None


@pytest.mark.parametrize("name", ["seed-cnn", "keras"])
def test_no_card_of_the_keras_cnn_is_under_the_map_on_arrival(app_url, page, projects, shots, name):
    frame = open_project(page, app_url, projects[name], '[data-testid="node-image"]')
    settled(page, frame, ["image", "fc", "probs"])
    page.wait_for_timeout(500)  # the map and its place follow the cards' measured sizes
    boxes = settled(page, frame, ["image", "fc", "probs"])
    page.screenshot(path=str(shots / f"canvas-map-clear-{name}-1366.png"))
    assert "fc" in boxes
    pane = frame.locator(".ll-flow .react-flow").bounding_box()
    if not outside(pane, boxes, list(boxes)):
        # a design wholly in view needs no map (the template, laid out to fit)
        assert frame.locator(".react-flow__minimap").count() == 0
        return
    # the newcomer's design runs below the pane: the map is there, clear of every card (in the
    # whole map's every corner lies a card: it is drawn narrower, in the strip beside them)
    the_map = _box(frame, ".react-flow__minimap")
    assert the_map, "no map for a design out of view"
    assert _covered(boxes, the_map) == [], f"the map lies over {_covered(boxes, the_map)}"
    assert the_map["width"] >= 112

    # hidden, its "Map" button covers no card either, and shows it again
    frame.locator('[data-testid="canvas-map-hide"]').click()
    button = _box(frame, '[data-testid="canvas-map-show"]')
    assert _covered(boxes, button) == [], f"the Map button lies over {_covered(boxes, button)}"
    frame.locator('[data-testid="canvas-map-show"]').click()
    frame.locator(".react-flow__minimap").wait_for()
