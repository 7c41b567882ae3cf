"""The model graph: the model as it will be built, repeats expanded, drawn top to bottom
(layered) with ``streamlit-agraph`` and coloured by category as on the canvas.

Each use of a composite block is a group, shown collapsed as one box (its layer count and output
shape) until it is expanded: click it, or pick it under *Expanded blocks*. A search box
highlights the layers whose path or type matches and opens the groups that hold them. The
height grows with the graph. Clicking a layer shows its details. Read-only: edits happen on the
canvas. :func:`model_graph` (pure) decides what is drawn; :func:`render` draws it."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
from streamlit_agraph import Config, Edge, Node, agraph

from layerloom.graph import edit
from layerloom.graph.resolve import Level

from .fields import plain, show_value
from .state import DesignerState
from .status import count

# The canvas's colours (ui/canvas/frontend/src/format.js; a test keeps the two in step), so a
# layer looks the same in both views.
CATEGORY_COLORS = {
    "I/O": "#64748b", "Input/Output": "#64748b", "Convolution": "#2563eb", "Dense": "#7c3aed",
    "Linear": "#7c3aed", "Activation": "#059669", "Pooling": "#0891b2",
    "Normalisation": "#d97706", "Normalization": "#d97706", "Regularisation": "#a16207",
    "Dropout": "#a16207", "Sequence": "#c026d3", "Attention": "#c026d3", "Merge": "#ea580c",
    "Shape": "#4d7c0f", "Reshape": "#4d7c0f", "Blocks": "#0f766e",
}
FALLBACK = ("#2563eb", "#059669", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#ea580c",
            "#4d7c0f")


def category_color(category: str | None) -> str:
    """The colour the canvas gives ``category`` (the same hash for categories it does not list).

    >>> category_color("Convolution"), category_color(None)
    ('#2563eb', '#64748b')
    """
    if not category:
        return "#64748b"
    if category in CATEGORY_COLORS:
        return CATEGORY_COLORS[category]
    h = 0
    for ch in category:  # JavaScript's (h * 31 + code) | 0, in 32-bit two's complement
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    h = h - (1 << 32) if h >= 1 << 31 else h
    return FALLBACK[abs(h) % len(FALLBACK)]


HIGHLIGHT = "#facc15"  # a search hit's border
LEVEL_GAP = 95  # pixels between layers of the layered drawing
MIN_HEIGHT, MAX_HEIGHT = 420, 4000


@dataclass
class Group:
    """One use of a composite block (one copy of it when repeated): layers under ``prefix``."""

    prefix: str  # "stage2/" or "layer2/0/"
    type: str  # the block's name
    parent: str | None  # the prefix of the group it sits in
    layers: list[str] = field(default_factory=list)  # paths of the layers inside, all depths

    @property
    def id(self) -> str:
        return "group:" + self.prefix.rstrip("/")

    @property
    def name(self) -> str:
        return self.prefix.rstrip("/")


@dataclass
class ModelGraph:
    """What the view draws: ``boxes`` (layers and collapsed groups, in model order), ``edges``
    between them, the search ``hits`` (layer paths), and the ``height`` in pixels."""

    boxes: list[dict]  # {"id", "label", "title", "color", "group": Group | None, "hit": bool}
    edges: list[tuple[str, str, str]]  # (source box, target box, shape)
    groups: dict[str, Group]  # by prefix
    hits: list[str]
    depth: int  # layers of the layered drawing (longest path, in boxes)
    height: int


# the top-level options vis-network reads (https://visjs.github.io/vis-network/docs/network/):
# agraph passes its Config's attributes as they are, and any other one is an error in the console
VIS_OPTIONS = {"autoResize", "width", "height", "locale", "locales", "clickToUse", "configure",
               "edges", "nodes", "groups", "layout", "interaction", "manipulation", "physics"}


def vis_config(height: int) -> Config:
    """agraph's Config for the layered model graph: top to bottom, in the edges' order.

    ``Config(direction=…, …)`` puts the layout's options under ``layout.hierarchical`` and
    again at the top level, where vis-network rejects each ("Unknown option detected"), and an
    unset ``groups`` as null ("Invalid type received for groups"): they are set under the layout
    only, and ``groups`` left out.
    """
    config = Config(height=height, directed=True, physics=False, hierarchical=True)
    config.layout["hierarchical"].update(direction="UD", sortMethod="directed",
                                         levelSeparation=LEVEL_GAP, nodeSpacing=190,
                                         treeSpacing=220, shakeTowards="roots")
    config.width = "100%"  # agraph writes pixels; vis.js takes a percentage too
    if config.__dict__.get("groups") is None:
        config.__dict__.pop("groups", None)
    return config


def groups_of(top: Level) -> dict[str, Group]:
    """Every use of a composite block in the model, by prefix, outermost first."""
    out: dict[str, Group] = {}

    def walk(level: Level, parent: str | None) -> None:
        for info in level.nodes.values():
            if info.block is None or not info.used:
                continue
            for copy_level in info.copies:
                out[copy_level.prefix] = Group(copy_level.prefix, info.type, parent)
                walk(copy_level, copy_level.prefix)

    walk(top, None)
    return out


def model_graph(layers: list[edit.ModelLayer], top: Level, expanded=(), query: str = "",
                only_hits: bool = False) -> ModelGraph:
    """The boxes and edges drawn for ``layers`` (``edit.expanded(top)``): each layer in a group
    that is not expanded is drawn as its outermost collapsed group. ``query`` (case-insensitive,
    in a layer's path or type) marks hits and expands the groups that hold them; with
    ``only_hits``, only the hits and the boxes wired to them are drawn."""
    groups = groups_of(top)
    prefixes = sorted(groups, key=len)
    q = query.strip().lower()
    hits = [m.path for m in layers
            if q and (q in m.path.lower() or q in m.info.type.lower())]
    open_ = {p for p in groups if p in set(expanded) or groups[p].name in set(expanded)}
    for path in hits:  # a hit is shown: the groups around it open
        open_.update(p for p in prefixes if path.startswith(p))

    def box_of(path: str) -> str:
        for p in prefixes:  # outermost first: the first closed group around it hides it
            if path.startswith(p) and p not in open_:
                return groups[p].id
        return path

    for m in layers:
        for p in prefixes:
            if m.path.startswith(p):
                groups[p].layers.append(m.path)
    by_path = {m.path: m for m in layers}
    boxes: dict[str, dict] = {}
    last_of: dict[str, str] = {}  # box → its last layer (the shape it gives)
    for m in layers:
        b = box_of(m.path)
        last_of[b] = m.path
        if b in boxes:
            boxes[b]["hit"] = boxes[b]["hit"] or m.path in hits
            continue
        if b == m.path:
            boxes[b] = {"id": b, "label": f"{m.path}\n{m.info.type} → {_shape(m.layer.shape)}",
                        "title": f"{m.path}: {m.info.type}",
                        "color": category_color(m.info.spec.category if m.info.spec else None),
                        "group": None, "hit": m.path in hits}
        else:
            g = next(g for g in groups.values() if g.id == b)
            boxes[b] = {"id": b, "label": "", "title": "", "color": category_color("Blocks"),
                        "group": g, "hit": m.path in hits}
    for b, box in boxes.items():
        g = box["group"]
        if g is not None:
            n = len(g.layers)
            box["label"] = (f"▣ {g.name}\n{g.type} · {n} layer{'s' if n != 1 else ''} → "
                            f"{_shape(by_path[last_of[b]].layer.shape)}")
            box["title"] = f"{g.name}: block {g.type}, {n} layers (click to expand)"
    edges: list[tuple[str, str, str]] = []
    seen = set()
    for m in layers:
        target = box_of(m.path)
        for src in m.inputs:
            source = box_of(src)
            if source == target or (source, target) in seen:
                continue
            seen.add((source, target))
            edges.append((source, target, _shape(by_path[src].layer.shape)))
    if only_hits and hits:
        hit_boxes = {b for b, box in boxes.items() if box["hit"]}
        keep = hit_boxes | {s for s, t, _ in edges if t in hit_boxes} | {
            t for s, t, _ in edges if s in hit_boxes}
        boxes = {b: box for b, box in boxes.items() if b in keep}
        edges = [e for e in edges if e[0] in keep and e[1] in keep]
    depth = _depth(list(boxes), edges)
    height = max(MIN_HEIGHT, min(MAX_HEIGHT, 60 + depth * LEVEL_GAP))
    return ModelGraph(list(boxes.values()), edges, groups, hits, depth, height)


def _depth(ids: list[str], edges: list[tuple[str, str, str]]) -> int:
    """Boxes on the longest path (boxes come in model order, so sources come first)."""
    level = {i: 1 for i in ids}
    for source, target, _ in sorted(edges, key=lambda e: ids.index(e[1])):
        level[target] = max(level[target], level[source] + 1)
    return max(level.values(), default=0)


def _expanded_key(state: DesignerState) -> str:
    return f"model_view:expanded:{state.project_id}"


def render(state: DesignerState) -> None:
    report = state.report()
    top = report.resolution.top
    layers = edit.expanded(top)
    if not layers:
        st.info("Nothing to draw yet: the model needs an Input wired to an Output.")
        return
    key = _expanded_key(state)
    all_groups = groups_of(top)
    names = [g.name for g in all_groups.values()]
    # a group clicked last run opens now (a widget's value can only be set before it is drawn)
    wanted = list(st.session_state.get(key, [])) + st.session_state.pop(key + ":open", [])
    expanded = [n for n in dict.fromkeys(wanted) if n in names]
    st.session_state[key] = expanded
    with st.container(horizontal=True, vertical_alignment="bottom"):
        query = st.text_input("Find a layer", key=f"model_view:find:{state.project_id}",
                              placeholder="a name or type: conv, stage2")
        if names:
            st.multiselect("Expanded blocks", names, key=key,
                           help="Each use of a composite block is drawn as one box until it "
                                "is expanded: click the box, or pick it here.")
            st.button("Expand all", key="model_view:all", on_click=_set_expanded,
                      args=(key, names))
            st.button("Collapse all", key="model_view:none", on_click=_set_expanded,
                      args=(key, []))
    only = bool(query) and st.toggle("Only the matches", key=f"model_view:only:{state.project_id}",
                                     help="Draw only the layers that match, with the layers "
                                          "wired to them.")
    graph = model_graph(layers, top, st.session_state.get(key, []), query or "", only)
    dark = state.theme == "dark"
    nodes = [Node(id=b["id"], label=b["label"], title=b["title"], shape="box",
                  color={"background": b["color"], "border": HIGHLIGHT if b["hit"] else b["color"]},
                  font={"color": "#ffffff", "face": "sans-serif", "size": 15},
                  margin=10, borderWidth=4 if b["hit"] else (2 if b["group"] else 0),
                  shapeProperties={"borderDashes": [6, 3]} if b["group"] else {})
             for b in graph.boxes]
    edges = [Edge(source=src, target=dst, color="#94a3b8" if dark else "#64748b",
                  label=shape if len(graph.boxes) <= 120 else None,
                  font={"color": "#cbd5e1" if dark else "#475569", "strokeWidth": 0,
                        "size": 12, "background": "#1a1e27" if dark else "#ffffff"})
             for src, dst, shape in graph.edges]
    config = vis_config(graph.height)
    closed = sum(1 for b in graph.boxes if b["group"])
    caption = (f"{len(layers)} layers with blocks unrolled · "
               f"{'errors leave out what they touch' if not report.ok else 'as compiled'}")
    if closed:
        caption += f" · {closed} block{'s' if closed != 1 else ''} collapsed (click to expand)"
    if query:
        n = len(graph.hits)
        caption += (f" · {n} layer{'s match' if n != 1 else ' matches'} “{plain(query)}”"
                    if n else f" · nothing matches “{plain(query)}”")
    st.caption(caption)
    clicked = agraph(nodes=nodes, edges=edges, config=config)
    if clicked and clicked.startswith("group:"):
        name = clicked[len("group:"):]
        if name in names and name not in expanded:
            st.session_state[key + ":open"] = [name]
            st.rerun()
    elif clicked:
        details(layers, clicked)
    elif len(graph.hits) == 1:
        details(layers, graph.hits[0])


def _set_expanded(key: str, names: list[str]) -> None:
    st.session_state[key] = list(names)


def details(layers: list[edit.ModelLayer], path: str) -> None:
    layer = next((m for m in layers if m.path == path), None)
    if layer is None:
        return
    info, built = layer.info, layer.layer
    with st.container(border=True):
        st.markdown(f"**{plain(layer.path)}** · {plain(info.type)}"
                    f"{' · ' + plain(info.spec.category) if info.spec else ''}")
        st.markdown(f"in {', '.join(_shape(s) for s in built.in_shapes) or '–'} → out "
                    f"**{_shape(built.shape)}** · **{built.n_params:,}** params · "
                    f"**{count(built.macs)}** MACs")
        shown = {k: show_value(list(v) if isinstance(v, tuple) else v)
                 for k, v in built.params.items()}
        if shown:
            st.dataframe([{"param": k, "value": v} for k, v in shown.items()],
                         hide_index=True, width="stretch")
        if layer.inputs:
            st.caption("reads " + ", ".join(plain(i) for i in layer.inputs))


def _shape(shape) -> str:
    return "×".join(map(str, shape)) if shape else "?"
