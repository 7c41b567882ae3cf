"""The model graph view: colours as on the canvas, and its nodes and edges."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from layerloom.graph import all_blocks
from layerloom.ui import model_view

FORMAT_JS = Path(model_view.__file__).resolve().parent / "canvas" / "frontend" / "src" / "format.js"


def _js_colors() -> tuple[dict, list]:
    source = FORMAT_JS.read_text(encoding="utf-8")
    table = source[source.index("CATEGORY_COLORS = {"):]
    table = table[:table.index("};")]
    pairs = re.findall(r'(?:"([^"]+)"|([A-Za-z]+))\s*:\s*"(#[0-9a-fA-F]{6})"', table)
    colors = {quoted or bare: color for quoted, bare, color in pairs}
    fallback = re.findall(r'"(#[0-9a-fA-F]{6})"', source[source.index("FALLBACK = ["):].split("]")[0])
    return colors, fallback


@pytest.mark.skipif(not FORMAT_JS.exists(), reason="the canvas sources are not here")
def test_colours_match_the_canvas():
    colors, fallback = _js_colors()
    assert model_view.CATEGORY_COLORS == colors
    assert list(model_view.FALLBACK) == fallback


def test_every_category_has_a_colour():
    for spec in all_blocks():
        assert re.fullmatch(r"#[0-9a-f]{6}", model_view.category_color(spec.category))
    assert model_view.category_color("Something new") in model_view.FALLBACK


# ---- what is drawn: groups, search, height ------------------------------------------------

def _model(template: str):
    from layerloom.graph import edit, validate
    from layerloom.graph.templates import load_template

    report = validate(load_template(template))
    top = report.resolution.top
    return edit.expanded(top), top


def test_efficientnet_starts_collapsed_and_stays_legible():
    layers, top = _model("efficientnet-b0")
    assert len(layers) == 251
    graph = model_view.model_graph(layers, top)
    # one box per top-level block: the stem's layers, then each stage collapsed
    assert len(graph.boxes) == 19
    stages = [b for b in graph.boxes if b["group"] is not None]
    assert [b["group"].name for b in stages][:2] == ["stage1", "stage2"]
    assert stages[1]["label"] == "▣ stage2\nStage · 30 layers → 24×56×56"
    # every layer is in the drawing once, inside a box
    assert sum(len(b["group"].layers) if b["group"] else 1 for b in graph.boxes) == 251
    # drawn top to bottom, a level per box of the chain, the height grows with it
    assert graph.depth == 19
    assert graph.height == 60 + 19 * model_view.LEVEL_GAP
    assert ("stem_act", "group:stage1", "32×112×112") in graph.edges


def test_expanding_a_group_shows_its_layers_and_nested_blocks_collapsed():
    layers, top = _model("efficientnet-b0")
    closed = model_view.model_graph(layers, top)
    opened = model_view.model_graph(layers, top, expanded=["stage2"])
    ids = [b["id"] for b in opened.boxes]
    assert "group:stage2" not in ids
    # stage2 holds MBConv blocks: they show as groups of their own, still collapsed
    inner = [b for b in opened.boxes if b["group"] and b["group"].parent == "stage2/"]
    assert inner and all(b["group"].type == "MBConv" for b in inner)
    assert len(opened.boxes) > len(closed.boxes)
    assert opened.height > closed.height
    everything = model_view.model_graph(layers, top,
                                        expanded=[g.name for g in closed.groups.values()])
    assert len(everything.boxes) == 251
    assert everything.height == model_view.MAX_HEIGHT


def test_search_highlights_layers_and_opens_their_groups():
    layers, top = _model("resnet18")
    graph = model_view.model_graph(layers, top, query="layer2_0/conv1")
    assert graph.hits == ["layer2_0/conv1"]
    hit = [b for b in graph.boxes if b["hit"]]
    assert [b["id"] for b in hit] == ["layer2_0/conv1"]
    assert "group:layer2_0" not in [b["id"] for b in graph.boxes]
    assert "group:layer3_0" in [b["id"] for b in graph.boxes]  # the rest stays collapsed
    # by type, case-insensitive; nothing matches: nothing highlighted
    assert len(model_view.model_graph(layers, top, query="BATCHNORM").hits) == 20
    assert model_view.model_graph(layers, top, query="zzz").hits == []
    # only the matches: the hits and the boxes wired to them
    only = model_view.model_graph(layers, top, query="layer2_0/conv1", only_hits=True)
    assert [b["id"] for b in only.boxes] == ["group:layer1_1", "layer2_0/conv1", "layer2_0/bn1"]
    assert len(only.edges) == 2 and only.height == model_view.MIN_HEIGHT


def test_resnet18_collapsed_and_a_plain_chain_unchanged():
    layers, top = _model("resnet18")
    graph = model_view.model_graph(layers, top)
    assert len(layers) == 71 and len(graph.boxes) == 17
    layers, top = _model("seed-cnn")
    graph = model_view.model_graph(layers, top)
    assert [b["id"] for b in graph.boxes] == [m.path for m in layers]
    assert graph.groups == {} and graph.height == max(model_view.MIN_HEIGHT, 60 + 10 * 95)


def test_model_view_page_draws_resnet18_collapsed_and_finds_a_layer(home, canvas, monkeypatch):
    """The page with AppTest: the agraph component is replaced by a recorder."""
    from layerloom.graph.templates import load_template
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.testing import app_test

    drawn = []
    monkeypatch.setattr(model_view, "agraph",
                        lambda nodes, edges, config: drawn.append((nodes, edges, config)))
    pid = ProjectStore().create(load_template("resnet18"))
    at = app_test()
    at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception
    at.session_state["layerloom"].view = "model"
    at.run()
    assert not at.exception, at.exception
    nodes, edges, config = drawn[-1]
    assert len(nodes) == 17 and config.layout["hierarchical"]["direction"] == "UD"
    assert set(json.loads(json.dumps(config.__dict__))) <= VIS_TOP_LEVEL  # as agraph sends it
    assert config.height == f"{60 + 17 * model_view.LEVEL_GAP}px"
    assert "8 blocks collapsed" in "\n".join(c.value for c in at.caption)
    at.text_input(key=f"model_view:find:{pid}").input("layer3_0/conv2").run()
    assert not at.exception, at.exception
    nodes, _, _ = drawn[-1]
    assert "layer3_0/conv2" in [n.id for n in nodes]
    assert "1 layer matches" in "\n".join(c.value for c in at.caption)
    # the one hit's details are shown
    assert any("layer3\\_0/conv2" in m.value or "layer3_0/conv2" in m.value for m in at.markdown)

    # a click on a collapsed group expands it (agraph returns the clicked box's id)
    at.text_input(key=f"model_view:find:{pid}").input("").run()
    monkeypatch.setattr(model_view, "agraph", lambda nodes, edges, config: (
        drawn.append((nodes, edges, config)), "group:layer1_0")[1])
    at.run()
    assert not at.exception, at.exception
    ids = [n.id for n in drawn[-1][0]]
    assert "group:layer1_0" not in ids and "layer1_0/conv1" in ids
    assert at.multiselect(key=f"model_view:expanded:{pid}").value == ["layer1_0"]


# the top-level options of vis-network 9 (docs: network/ "options"): any other is logged as
# "Unknown option detected" in the browser console on every draw
VIS_TOP_LEVEL = {"autoResize", "width", "height", "locale", "locales", "clickToUse", "configure",
                 "edges", "nodes", "groups", "layout", "interaction", "manipulation", "physics"}


def test_the_config_sent_holds_only_options_vis_network_reads():
    """The layered layout's options under layout.hierarchical, none at the top level, and no
    null ``groups`` (vis-network: "Invalid type received for groups")."""
    sent = json.loads(json.dumps(model_view.vis_config(500).__dict__))  # agraph's json.dumps
    assert set(sent) <= VIS_TOP_LEVEL, set(sent) - VIS_TOP_LEVEL
    assert sent.get("groups", {}) is not None
    assert sent["layout"]["hierarchical"] == {
        **sent["layout"]["hierarchical"], "enabled": True, "direction": "UD",
        "sortMethod": "directed", "levelSeparation": model_view.LEVEL_GAP, "nodeSpacing": 190,
        "treeSpacing": 220, "shakeTowards": "roots"}
    assert (sent["height"], sent["width"], sent["physics"]["enabled"]) == ("500px", "100%", False)
