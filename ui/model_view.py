"""The model graph: the model as it will be built, composites unrolled and repeats expanded,
drawn left to right with ``streamlit-agraph`` and coloured by category as on the canvas.
Clicking a layer shows its details. Read-only: edits happen on the canvas."""

from __future__ import annotations

import streamlit as st
from streamlit_agraph import Config, Edge, Node, agraph

from layerloom.graph import edit

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


def render(state: DesignerState) -> None:
    report = state.report()
    layers = edit.expanded(report.resolution.top)
    if not layers:
        st.info("Nothing to draw yet: the model needs an Input wired to an Output.")
        return
    dark = state.theme == "dark"
    nodes = [Node(id=m.path, label=f"{m.path}\n{m.info.type} → {_shape(m.layer.shape)}",
                  title=f"{m.path}: {m.info.type}", shape="box",
                  color=category_color(m.info.spec.category if m.info.spec else None),
                  font={"color": "#ffffff", "face": "sans-serif", "size": 14},
                  margin=10, borderWidth=0)
             for m in layers]
    by_path = {m.path: m for m in layers}
    edges = [Edge(source=src, target=m.path, color="#94a3b8" if dark else "#64748b",
                  label=_shape(by_path[src].layer.shape) if len(layers) <= 80 else None,
                  font={"color": "#cbd5e1" if dark else "#475569", "strokeWidth": 0,
                        "size": 11})
             for m in layers for src in m.inputs]
    config = Config(width=1000, height=560, directed=True, physics=False, hierarchical=True,
                    direction="LR", sortMethod="directed", levelSeparation=170,
                    nodeSpacing=60, treeSpacing=80, shakeTowards="roots")
    config.width = "100%"  # agraph writes pixels; vis.js takes a percentage too
    st.caption(f"{len(layers)} layers with blocks unrolled · "
               f"{'errors leave out what they touch' if not report.ok else 'as compiled'}")
    clicked = agraph(nodes=nodes, edges=edges, config=config)
    if clicked:
        details(layers, clicked)


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
