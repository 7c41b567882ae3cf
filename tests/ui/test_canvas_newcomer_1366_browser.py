"""What a newcomer met on the canvas at a 1366×768 window, in a real browser (Debian's Chromium
driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

- The palette's search is cleared after a block is added from it (dragged onto the canvas,
  Enter in the search box, a click on an item), so the whole palette shows again.
- A block with one input and one output dropped on a wire goes onto it (source -> new ->
  target, the rest of the row moved right to make room), as one save and one undo step; the
  wire is marked while the block is dragged over it. Add (two inputs) dropped on a wire, or a
  block dropped beside one, lands unwired.
- A new blank design opens at zoom 1 every time, whatever the zoom of the design shown before.
- The usual block titles (BatchNorm2d batchnorm2d1, MaxPool2d maxpool2d1, Conv2d conv1) read
  whole on their cards: the id goes on a line of its own when both do not fit; a type or id too
  long for a line alone (TransformerEncoderLayer, transformerencoderlayer1) wraps onto more,
  never shortened.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from canvas_browser import IFRAME, TIMEOUT_MS, open_project, zoom

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


TITLED = [("image", "Input"), ("conv1", "Conv2d"), ("batchnorm2d1", "BatchNorm2d"),
          ("relu1", "ReLU"), ("maxpool2d1", "MaxPool2d"), ("conv2d1", "Conv2d"),
          ("dropout2d1", "Dropout2d"), ("layernorm2d1", "LayerNorm2d"),
          ("adaptiveavgpool2d1", "AdaptiveAvgPool2d"), ("flatten1", "Flatten"),
          ("linear1", "Linear"), ("output1", "Output")]


# the ids the canvas gives these blocks, and a name a user typed: each longer than a card's line
LONG = [("sdpa1", "ScaledDotProductAttention"),
        ("transformerencoderlayer1", "TransformerEncoderLayer"),
        ("encoder_attention_block_2", "MultiheadAttention")]


def _titles():
    """A chain of the usual blocks under the ids the canvas gives them, without positions
    (the canvas lays them out), and blocks whose type or id is too long for a card's line."""
    from layerloom.graph.io import load_graph

    nodes = [{"id": nid, "type": kind} for nid, kind in TITLED]
    nodes[0]["params"] = {"shape": [1, 28, 28]}
    nodes += [{"id": i, "type": t} for i, t in LONG]
    edges = [{"source": a[0], "target": b[0]} for a, b in zip(TITLED, TITLED[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": "titles",
                       "nodes": nodes, "edges": edges})


@pytest.fixture(scope="module")
def designs():
    """The designs the tests open, made projects before the app starts."""
    from layerloom.graph import Graph
    from layerloom.graph.templates import load_template

    return {"palette": Graph(name="palette"), "insert": load_template("seed-cnn"),
            "zoom": load_template("seed-cnn"), "titles": _titles(),
            "delete": load_template("seed-cnn")}


def _saved(home: Path, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def _save_log(home: Path, pid: str) -> list[dict]:
    from layerloom.ui import savelog

    return savelog.read_log(home / "projects" / pid / "saves.jsonl")


def _wait_logged(home: Path, pid: str, lines: int, timeout_s: float = 20) -> list[dict]:
    """The project's save log once it holds ``lines`` lines (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    while len(log := _save_log(home, pid)) < lines and time.monotonic() < deadline:
        time.sleep(0.2)
    return log


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
    frame = open_project(page, app_url, projects["palette"], '[data-testid="canvas-blank"]')
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


WIRE_MIDDLE = """(body, sel) => {
  const path = document.querySelector(sel).querySelector('path.react-flow__edge-path');
  const p = path.getPointAtLength(path.getTotalLength() / 2);
  const m = path.getScreenCTM();
  const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
  return [m.a * p.x + m.c * p.y + m.e - pane.left, m.b * p.x + m.d * p.y + m.f - pane.top];
}"""
MARKED = """() => [...document.querySelectorAll('.ll-edge-drop')].map(
  (p) => p.closest('.react-flow__edge').dataset.id)"""


def _wire_middle(frame, source: str, target: str) -> tuple[float, float]:
    """The middle of the wire source -> target, in pixels from the pane's top-left corner."""
    return frame.locator("body").evaluate(
        WIRE_MIDDLE, f'.react-flow__edge[data-id$=":{source}->{target}"]')


def _drag_in(page, frame, block: str, x: float, y: float, *, marked=None):
    """Drag ``block`` from the palette to (x, y) of the pane with the mouse; ``marked``: the
    wire ids that must be marked just before the drop."""
    frame.locator('[data-testid="palette-search"]').fill(block)
    item = frame.locator(f'[data-testid="palette-item-{block}"]').bounding_box()
    pane = frame.locator(".react-flow__pane").bounding_box()
    page.mouse.move(item["x"] + 20, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(pane["x"] + x, pane["y"] + y, steps=12)
    page.mouse.move(pane["x"] + x + 1, pane["y"] + y, steps=2)
    if marked is not None:
        deadline = time.monotonic() + 5
        while frame.locator("body").evaluate(MARKED) != marked and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert frame.locator("body").evaluate(MARKED) == marked
    page.mouse.up()


def _wires(graph: dict) -> list[tuple[str, str]]:
    return [(e["source"], e["target"]) for e in graph["edges"]]


def _box(frame, node: str) -> dict:
    return frame.locator(f'[data-testid="node-{node}"]').bounding_box()


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_a_block_dropped_on_a_wire_goes_onto_it(app_url, page, projects, app_home, shots):
    pid = projects["insert"]
    frame = open_project(page, app_url, pid, '[data-testid="node-conv1"]')
    before = _saved(app_home, pid)
    saves = len(_save_log(app_home, pid))

    # BatchNorm2d dropped 3 pixels off the middle of conv1 -> relu1: the wire is marked while
    # it is over it, and the block goes onto it
    x, y = _wire_middle(frame, "conv1", "relu1")
    _drag_in(page, frame, "BatchNorm2d", x, y + 3, marked=[
        frame.locator('.react-flow__edge[data-id$=":conv1->relu1"]').get_attribute("data-id")])
    # the toast looked for first: it lasts 4.5 s, which a loaded machine can spend drawing
    expect(frame.locator('[data-testid="canvas-toast"]')).to_contain_text(
        "batchnorm2d1 put on the wire conv1 → relu1")
    frame.locator('[data-testid="node-batchnorm2d1"]').wait_for()
    expect(frame.locator(".ll-edge-drop")).to_have_count(0)
    saved = _wait_saved(app_home, pid, lambda g: ("batchnorm2d1", "relu1") in _wires(g))
    wires = _wires(saved)
    assert ("conv1", "batchnorm2d1") in wires and ("conv1", "relu1") not in wires
    assert wires.index(("batchnorm2d1", "relu1")) == wires.index(("conv1", "batchnorm2d1")) + 1
    # the save's line in the log follows the design's file (read between the two, it is not
    # there yet on a loaded machine)
    log = _wait_logged(app_home, pid, saves + 1)
    assert len(log) == saves + 1 and log[-1]["edit"]["source"] == "canvas"  # one save
    # room was made: the new block covers neither of its neighbours
    page.wait_for_timeout(300)
    new = _box(frame, "batchnorm2d1")
    assert not _overlap(new, _box(frame, "conv1")) and not _overlap(new, _box(frame, "relu1"))
    # the new wire's shape comes with the page's next run, after the save: waited for
    expect(frame.locator('[data-testid="edge-label-batchnorm2d1-relu1"]')).to_have_count(
        1, timeout=TIMEOUT_MS)
    page.screenshot(path=str(shots / "canvas-insert-on-wire.png"))

    # one undo takes all of it back
    frame.locator('[data-testid="btn-undo"]').click()
    expect(frame.locator('[data-testid="node-batchnorm2d1"]')).to_have_count(0)
    _wait_saved(app_home, pid, lambda g: g["nodes"] == before["nodes"]
                and g["edges"] == before["edges"])

    # Add (two inputs) on a wire, and ReLU dropped 40 pixels beside one: both land unwired
    x, y = _wire_middle(frame, "pool1", "conv2")
    _drag_in(page, frame, "Add", x, y, marked=[])
    frame.locator('[data-testid="node-add1"]').wait_for()
    _drag_in(page, frame, "ReLU", x, y + 40, marked=[])
    frame.locator('[data-testid="node-relu3"]').wait_for()
    saved = _wait_saved(app_home, pid, lambda g: {"add1", "relu3"} <= {n["id"] for n in g["nodes"]})
    assert saved["edges"] == before["edges"]


def test_a_block_deleted_in_the_middle_leaves_its_neighbours_joined(app_url, page, projects,
                                                                   app_home, shots):
    pid = projects["delete"]
    frame = open_project(page, app_url, pid, '[data-testid="node-pool1"]')
    before = _saved(app_home, pid)
    frame.locator('[data-testid="node-pool1"]').click()
    page.keyboard.press("Delete")
    # looked for at once: the toast lasts 4.5 s, which a loaded machine can spend drawing
    expect(frame.locator('[data-testid="canvas-toast"]')).to_contain_text(
        "Deleted pool1: relu1 now feeds conv2 in its place")
    expect(frame.locator('[data-testid="node-pool1"]')).to_have_count(0)
    saved = _wait_saved(app_home, pid, lambda g: "pool1" not in {n["id"] for n in g["nodes"]})
    wires = _wires(saved)
    assert ("relu1", "conv2") in wires, wires
    assert wires.index(("relu1", "conv2")) == _wires(before).index(("pool1", "conv2")) - 1
    # the design still works: one piece, valid, its shapes through (a pool fewer: 64×11×11)
    expect(page.locator(".st-key-statusbar").get_by_text(re.compile(r"\bvalid$"))).to_be_visible()
    expect(frame.locator('[data-testid="edge-label-relu1-conv2"]')).to_have_text("32×26×26")
    page.screenshot(path=str(shots / "canvas-delete-joins.png"))

    # the end of the design (the Output) has no block after it: deleted, its wire goes with it
    frame.locator('[data-testid="node-probs"]').click()
    page.keyboard.press("Delete")
    expect(frame.locator('[data-testid="node-probs"]')).to_have_count(0)
    expect(frame.locator('[data-testid="canvas-toast"]', has_text="Deleted probs")).to_have_count(0)
    _wait_saved(app_home, pid, lambda g: "probs" not in {n["id"] for n in g["nodes"]})

    # one undo puts the Output back, another pool1 and its two wires
    frame.locator('[data-testid="btn-undo"]').click()
    frame.locator('[data-testid="node-probs"]').wait_for()
    frame.locator('[data-testid="btn-undo"]').click()
    frame.locator('[data-testid="node-pool1"]').wait_for()
    _wait_saved(app_home, pid, lambda g: g["edges"] == before["edges"])


def _new_blank(page, frame):
    page.locator(".st-key-new button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create").click()  # the template offered first: blank
    expect(page.get_by_role("dialog")).to_have_count(0)
    frame.locator('[data-testid="canvas-blank"]').wait_for()
    expect(frame.locator(".react-flow__node")).to_have_count(0)
    page.wait_for_timeout(500)  # any view change has landed


def test_a_new_blank_design_opens_at_zoom_1_every_time(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["zoom"], '[data-testid="node-conv1"]')
    for button in ("btn-zoom-out", "btn-zoom-out"):
        frame.locator(f'[data-testid="{button}"]').click()
        page.wait_for_timeout(300)
    assert zoom(frame) < 0.7
    _new_blank(page, frame)
    assert zoom(frame) == 1
    page.screenshot(path=str(shots / "canvas-new-blank.png"))

    # zoomed in on the blank design, then another new one: zoom 1 again
    for _ in range(3):
        frame.locator('[data-testid="btn-zoom-in"]').click()
        page.wait_for_timeout(300)
    assert zoom(frame) > 1.2
    _new_blank(page, frame)
    assert zoom(frame) == 1
    # and the same when the page is opened on it afresh
    page.reload()
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="canvas-blank"]').wait_for(timeout=3 * TIMEOUT_MS)
    page.wait_for_timeout(500)
    assert zoom(frame) == 1


HEADS = """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')].map((n) => {
  const t = n.querySelector('.ll-type'), i = n.querySelector('.ll-id'), b = n.getBoundingClientRect();
  return [n.dataset.id, {type: t.textContent, typeTitle: t.title, typeCut: t.scrollWidth > t.clientWidth,
                         id: i.textContent.trim(), idTitle: i.title, idCut: i.scrollWidth > i.clientWidth,
                         box: {x: b.x, y: b.y, width: b.width, height: b.height}}];
}))"""


def test_the_usual_block_titles_read_whole(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["titles"], '[data-testid="node-batchnorm2d1"]')
    page.wait_for_timeout(800)
    heads = frame.locator("body").evaluate(HEADS)
    page.screenshot(path=str(shots / "canvas-titles-1366.png"))
    assert set(heads) == {nid for nid, _ in TITLED + LONG}
    for nid, kind in TITLED + LONG:
        head = heads[nid]
        assert (head["type"], head["id"]) == (kind, nid)
        assert not head["typeCut"] and not head["idCut"], f"{kind} {nid} is shortened: {head}"
        assert head["idTitle"] == nid and head["typeTitle"] == kind
    # too long for a line of the card: wrapped onto the next, never shortened nor widening it
    for nid, _ in LONG:
        assert heads[nid]["box"]["width"] <= 201, heads[nid]
    # the cards that took a second line were laid out for it: none reaches over another
    boxes = [(nid, head["box"]) for nid, head in heads.items()]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not _overlap(box_a, box_b), f"{a} overlaps {b}"
