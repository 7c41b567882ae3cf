"""The Results page's "Look inside": why the trained model decides (Grad-CAM, Integrated
Gradients, token and feature attributions), what a block outputs for a sample, and the test set
as the classifier sees it (penultimate features projected to 2-D).

The model is the run's graph compiled as drawn with its last checkpoint
(``runtime.explain_run.load_run``), so every block is where the designer shows it; the methods
are Captum's (``runtime/attributions.py``). Figures are Plotly, built by the pure ``*_figure``
functions below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from layerloom.runtime import attributions
from layerloom.runtime.data.images import SUFFIXES as PICTURES  # those training reads
from layerloom.runtime.data.preprocessing import TABLE_SUFFIXES
from layerloom.runtime.explain_run import load_run, read_input, shown_input

from . import charts, images
from .fields import plain
from .forms import sample_index, seed

# a signed map over a picture: blue against the class, clear at 0, red for it
SIGNED = [[0.0, "rgba(33, 102, 172, 1)"], [0.5, "rgba(247, 247, 247, 0)"],
          [1.0, "rgba(178, 24, 43, 1)"]]
EMBED_LIMIT = 600  # test samples projected (t-SNE on more is slow on a small machine)


@st.cache_resource(max_entries=2, show_spinner="Loading the trained model…")
def _loaded(db: str, run_id: int, checkpoint: str, mtime: float):
    del mtime  # part of the key: a resumed run writes a newer checkpoint
    return load_run(run_id, db)


def trained(store, run):
    path = Path(run.checkpoint) if run.checkpoint else None
    if path is None or not path.is_file():
        return None
    return _loaded(str(store.path), run.id, str(path), path.stat().st_mtime)


# -- figures (pure) ---------------------------------------------------------------------------

def overlay_figure(image: np.ndarray, heatmap: np.ndarray, title: str) -> go.Figure:
    """The input (``[C, H, W]`` in [0, 1]) with the map over it, half transparent, and a colour
    bar whose ends say what they mean: a signed map (Integrated Gradients, SmoothGrad) in red
    for the class and blue against it around a white 0, a Grad-CAM map (never negative) from
    "not used" to "counted most". Without the bar the colours meant nothing to a newcomer, and
    a signed map's 0 fell wherever Jet put the middle of its range."""
    rgb = images.to_display(image)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    fig = go.Figure(go.Image(z=rgb, hoverinfo="skip"))
    z = np.asarray(heatmap, dtype=float)
    bound = float(np.abs(z).max()) or 1.0
    if (z < 0).any():  # 0 is clear, so that the picture shows where the map says nothing
        scale = {"colorscale": SIGNED, "zmin": -bound, "zmax": bound, "opacity": 0.8,
                 "colorbar": _bar([-bound, 0, bound], ["against", "0", "for"])}
    else:
        scale = {"colorscale": "Jet", "zmin": 0.0, "zmax": bound, "opacity": 0.45,
                 "colorbar": _bar([0, bound], ["not used", "counted most"])}
    fig.add_trace(go.Heatmap(z=z.round(5).tolist(), showscale=True, **scale,
                             hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>"))
    fig.update_layout(title={"text": title, "x": 0.02, "font": {"size": 13}}, height=320,
                      margin={"l": 0, "r": 0, "t": 36, "b": 0})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def _bar(values: list[float], words: list[str]) -> dict:
    return {"tickvals": values, "ticktext": words, "thickness": 12, "len": 0.9,
            "tickfont": {"size": 11}}


def tokens_figure(tokens: list[str], scores: np.ndarray, per_row: int = 12) -> go.Figure:
    """One cell per token, coloured by its attribution (red for the class, blue against), in
    rows of ``per_row`` tokens read left to right, top to bottom. One row of all 32 tokens of a
    text gave each cell 30 px at 1024 px: 'charming' and 'delightful' were cut and ran over
    their neighbours."""
    bound = float(np.abs(scores).max()) or 1.0
    rows = max(1, -(-len(tokens) // per_row))
    z = np.full((rows, per_row), np.nan)
    text = [[""] * per_row for _ in range(rows)]
    for i, (token, score) in enumerate(zip(tokens, np.asarray(scores, dtype=float))):
        z[i // per_row, i % per_row] = round(float(score), 5)
        text[i // per_row][i % per_row] = token
    fig = go.Figure(go.Heatmap(z=[[None if np.isnan(v) else v for v in row] for row in z],
                               x=list(range(per_row)), zmin=-bound, zmax=bound,
                               colorscale="RdBu", reversescale=True, text=text,
                               texttemplate="%{text}", showscale=False, xgap=2, ygap=2,
                               hovertemplate="%{text}: %{z:.3g}<extra></extra>"))
    fig.update_layout(height=20 + 44 * rows, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


FEATURES_SHOWN = 30  # bars of a table's attributions: a wide table's largest, not 2,000


def features_figure(names: list[str], scores: np.ndarray, title: str,
                    target: str | None = None, most: int = FEATURES_SHOWN) -> go.Figure:
    """One bar per feature. With ``target`` (a class), signed: red toward it, blue away from
    it, the axis saying which way is which; without, sizes (mean |attribution|), all grey: red
    bars there read as "for the class" beside the signed chart's. Of more than ``most``
    features, the ``most`` largest, which the title says (a table of 2,000 columns drew a
    chart 44,000 pixels tall)."""
    order = np.argsort(np.abs(scores), kind="stable")[-most:]
    if len(scores) > most:
        title = f"{title}: the {most} largest of {len(scores):,} features"
    colours = (["#d62728" if scores[i] > 0 else "#1f77b4" for i in order] if target is not None
               else "#7f7f7f")
    fig = go.Figure(go.Bar(x=[float(scores[i]) for i in order], y=[names[i] for i in order],
                           orientation="h", marker_color=colours))
    axis = (f"← away from {target} · toward {target} →" if target is not None
            else "how much it moves the output, either way")
    fig.update_layout(title={"text": title, "x": 0.02, "font": {"size": 13}},
                      height=max(240, 60 + 22 * len(order)),
                      margin={"l": 0, "r": 10, "t": 36, "b": 40},
                      xaxis={"title": {"text": axis, "font": {"size": 12}}})
    return fig


def embedding_figure(points: np.ndarray, true: list[str], predicted: list[str]) -> go.Figure:
    """The test samples in 2-D, coloured by true class; wrong ones drawn as crosses."""
    fig = go.Figure()
    for name in sorted(set(true), key=true.index):
        idx = [i for i, t in enumerate(true) if t == name]
        wrong = [predicted[i] != true[i] for i in idx]
        fig.add_trace(go.Scattergl(
            x=points[idx, 0].tolist(), y=points[idx, 1].tolist(), mode="markers", name=str(name),
            marker={"symbol": ["x" if w else "circle" for w in wrong], "size":
                    [9 if w else 6 for w in wrong]},
            customdata=[[i, true[i], predicted[i]] for i in idx],
            hovertemplate="sample %{customdata[0]}: true %{customdata[1]}, predicted "
                          "%{customdata[2]}<extra></extra>"))
    # the legend under the plot, as every chart's (charts.LEGEND): at the right it sat under
    # the mode bar, which covered its title
    fig.update_layout(height=420, margin={"l": 0, "r": 0, "t": 10, "b": 40},
                      legend={**charts.LEGEND, "title": {"text": "true class (× wrong)"}})
    return fig


def maps_figure(maps: np.ndarray, limit: int = 16) -> go.Figure:
    """The first ``limit`` channels of one sample's feature maps (``[C, H, W]``) in a grid."""
    from plotly.subplots import make_subplots

    n = min(limit, len(maps))
    cols = min(8, n)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.01, vertical_spacing=0.02)
    for k in range(n):
        fig.add_trace(go.Heatmap(z=maps[k].round(4).tolist(), colorscale="Viridis", showscale=False,
                                 hovertemplate=f"channel {k}: %{{z:.3g}}<extra></extra>"),
                      row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    fig.update_layout(height=110 * rows + 20, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    return fig


# -- the panel --------------------------------------------------------------------------------

def render(store, run, evaluation: dict, selected_block: str | None = None) -> None:
    """"Look inside" for a classifier run: explanations, activations, embedding."""
    model = trained(store, run)
    if model is None:
        return
    st.subheader("Look inside")
    why, acts, embed = st.tabs(["Why this class", "Activations", "Embedding"])
    with why:
        explanation(model, evaluation, run.id)
    with acts:
        activations(model, selected_block)
    with embed:
        embedding(model)


def pick_sample(model, evaluation: dict, run_id: int = 0
                ) -> tuple[torch.Tensor | None, int | None, str]:
    """A sample to explain: a most-confidently-wrong one, any test sample, or an upload.

    The drop-downs whose options are the run's (its wrong samples, its classes) are keyed by
    the run: kept across runs, the first choice stayed the first, and the browser went on
    showing the other run's label for it ('#47: true neg → pos') over this run's sample."""
    ds = model.dataset
    wrong = evaluation.get("most_confident_wrong") or []
    sources = (["Most confidently wrong"] if wrong else []) + ["Test sample", "Upload"]
    seed("inside.source", sources[0])
    if st.session_state["inside.source"] not in sources:
        st.session_state["inside.source"] = sources[0]
    source = st.radio("Sample", sources, horizontal=True, key="inside.source")
    if source == "Most confidently wrong":
        labels = [f"#{w['index']}: true {w['true_class']} → {w['predicted_class']} "
                  f"({w['confidence']:.0%})" for w in wrong]
        pick = st.selectbox("Which", range(len(wrong)), format_func=lambda i: labels[i],
                            key=f"inside.wrong.{run_id}")
        index = int(wrong[pick]["index"])
        return ds.x_test[index], int(ds.y_test[index]), f"test sample {index}"
    if source == "Test sample":
        index = sample_index(len(ds.x_test), "inside.index")  # None: said out of range
        if index is None:
            return None, None, ""
        return ds.x_test[index], int(ds.y_test[index]), f"test sample {index}"
    kinds = ["txt"] if ds.dtype == "int64" else (
        [*PICTURES, ".npy"] if images.is_image_shape(ds.input_shape) else
        [*TABLE_SUFFIXES, ".npy"])  # the tables the Data page reads, or an array
    upload = st.file_uploader("A file to explain", type=kinds, key="inside.upload")
    if upload is None:
        return None, None, ""
    path = Path(st.session_state.setdefault("inside.dir", _tmpdir())) / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    notes: list[str] = []  # how an array was read: 8-bit values scaled, a channel axis added
    try:
        x = read_input(path, ds, notes)
    except attributions.ExplainError as exc:  # named as uploaded, not as the copy read
        st.error(str(exc).replace(str(path), upload.name))
        return None, None, ""
    for note in notes:
        st.caption(plain(note))
    return x, None, upload.name


def _tmpdir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="layerloom-explain-")


def explanation(model, evaluation: dict, run_id: int = 0) -> None:
    ds = model.dataset
    x, truth, what = pick_sample(model, evaluation, run_id)
    if x is None:
        return
    kind = attributions.input_kind(x)
    left, mid, right = st.columns(3)
    with left:
        options = ["predicted"] + (["true"] if truth is not None else []) + ["choose"]
        which = st.radio("Class", options, horizontal=True, key="inside.which")
    target = truth if which == "true" else None
    if which == "choose":
        with left:
            target = st.selectbox("Class to explain", range(len(ds.classes)),
                                  format_func=lambda i: ds.classes[i],
                                  key=f"inside.class.{run_id}")
    convs = attributions.conv_layers(model.module)
    methods = (["gradcam"] if kind == "image" and convs else []) + ["ig", "smoothgrad"]
    if kind == "text":
        methods = ["ig"]
    names = {"gradcam": "Grad-CAM", "ig": "Integrated Gradients", "smoothgrad": "SmoothGrad"}
    with mid:
        method = st.selectbox("Method", methods, format_func=names.get, key="inside.method")
    layer = None
    if method == "gradcam":
        with right:
            layer = st.selectbox("Block", ["(last convolutional block)"] + convs,
                                 key="inside.layer")
            layer = None if layer.startswith("(") else layer
    try:
        exp = attributions.explain_sample(model.module, x, target=target, method=method,
                                          layer=layer, head=model.head, classes=ds.classes,
                                          vocab=ds.vocab)
    except attributions.ExplainError as exc:
        st.error(str(exc))
        return
    name = [plain(c) for c in ds.classes]
    st.caption(f"{plain(what)}: the model says {name[exp.predicted]}"
               + (f" (true: {name[truth]})" if truth is not None else "")
               + f"; explaining {name[exp.target]} ({exp.probability:.0%}) with "
               f"{names[method]}" + (f" at {plain(exp.layer)}" if exp.layer else ""))
    target_name = str(ds.classes[exp.target])
    if kind == "image":
        title = f"{names[method]} for {ds.classes[exp.target]}"
        st.plotly_chart(overlay_figure(shown_input(x, ds), exp.heatmap, title),
                        key="inside.overlay", config=charts.PICTURE)
    elif kind == "text":
        n = int((x != 0).sum()) or len(exp.tokens)  # padding (id 0) is left out
        st.plotly_chart(tokens_figure(exp.tokens[:n], exp.heatmap[:n]), key="inside.tokens",
                        config=charts.PICTURE)
    else:
        from layerloom.runtime.data.preprocessing import row_names

        names_ = row_names(ds) if kind == "tabular" else [f"t{i}" for i in
                                                          range(len(exp.heatmap))]
        st.plotly_chart(features_figure(names_, exp.heatmap, "This sample", target_name),
                        key="inside.features", config=charts.PICTURE)
    st.caption(plain(reading(kind, method, target_name, signed=bool((exp.heatmap < 0).any()))))
    if kind == "tabular":
        importance = _importance(model, ds)
        st.plotly_chart(features_figure(names_, importance, "Over the test set "
                                        "(mean |attribution|)"),
                        key="inside.importance", config=charts.PICTURE)
        st.caption("Over the test set: how much each feature moves the model's answer, either "
                   "way, on average. The longest bars are the features the model leans on most.")


def reading(kind: str, method: str, target: str, signed: bool = True) -> str:
    """How to read the figure above, in words: which colour is for ``target``, which against.

    >>> reading("text", "ig", "negative")
    'Red words pushed the model toward negative, blue ones away from it; the deeper the colour, the stronger the push.'
    """
    if kind == "image" and not signed:
        return (f"Where the model looked to decide {target}: the red and yellow areas counted "
                f"most, the dark blue ones not at all"
                + (" (Grad-CAM reads a block's smaller map, stretched over the image)."
                   if method == "gradcam" else "."))
    if kind == "image":
        return (f"Each pixel's push: red toward {target}, blue away from it; where the "
                f"picture shows through uncoloured, none.")
    if kind == "text":
        return (f"Red words pushed the model toward {target}, blue ones away from it; the "
                f"deeper the colour, the stronger the push.")
    what = "feature" if kind == "tabular" else "time step"
    return (f"Each {what}'s push for this sample: red bars toward {target}, blue ones away "
            f"from it; the longer the bar, the stronger.")


def _importance(model, ds) -> np.ndarray:
    key = ("inside.importance", id(model))
    cache = st.session_state.setdefault("inside.cache", {})
    if key not in cache:
        cache.clear()
        cache[key] = attributions.feature_importance(model.module, ds.x_test, head=model.head)
    return cache[key]


def activations(model, selected_block: str | None) -> None:
    ds = model.dataset
    blocks = [n for n, m in model.module.named_modules() if n and not list(m.children())]
    if not blocks:
        st.info("This model has no blocks to look into.")
        return
    default = selected_block if selected_block in blocks else blocks[0]
    seed("inside.block", default)
    if st.session_state["inside.block"] not in blocks:
        st.session_state["inside.block"] = default
    left, right = st.columns([2, 1])
    with left:
        block = st.selectbox("Block (the designer's selection when it has one)", blocks,
                             key="inside.block")
    with right:
        index = sample_index(len(ds.x_test), "inside.act_index")  # None: said out of range
    if index is None:
        return
    out = attributions.activations(model.module, ds.x_test[index:index + 1], block)[0]
    st.caption(f"{plain(block)} gives {list(out.shape)} for test sample {index}: mean "
               f"{float(out.mean()):.3g}, std {float(out.std()):.3g}, "
               f"{float((out == 0).float().mean()):.0%} zeros")
    if out.dim() == 3:
        st.plotly_chart(maps_figure(out.numpy()), key="inside.maps",
                        config=charts.PICTURE)
    else:
        fig = go.Figure(go.Histogram(x=out.reshape(-1).numpy(), nbinsx=50))
        fig.update_layout(height=260, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                          xaxis_title="value", yaxis_title="count")
        st.plotly_chart(fig, key="inside.hist", config=charts.PICTURE)


def embedding(model) -> None:
    ds = model.dataset
    method = st.radio("Projection", ["pca", "tsne"], horizontal=True, key="inside.projection",
                      format_func={"pca": "PCA", "tsne": "t-SNE"}.get)
    x, y = ds.x_test[:EMBED_LIMIT], ds.y_test[:EMBED_LIMIT]
    try:
        feats = attributions.penultimate(model.module, x)
        points = attributions.embedding_2d(feats, method)
    except attributions.ExplainError as exc:
        st.info(str(exc))
        return
    with torch.no_grad():
        pred = attributions.probabilities(model.module(x), model.head).argmax(-1)
    true = [ds.classes[int(i)] for i in y]
    predicted = [ds.classes[int(i)] for i in pred]
    st.caption(f"What the last Linear layer reads, for {len(x)} test samples, projected to "
               f"2-D; {sum(t != p for t, p in zip(true, predicted))} wrong ones drawn as ×.")
    st.plotly_chart(embedding_figure(points, true, predicted), key="inside.embedding",
                    config=charts.CONFIG)


# -- the designer: what a selected block outputs in the project's trained model ---------------

def latest_trained_run(store, project_id: str):
    """The project's latest completed run with a checkpoint, or None."""
    runs = [r for r in store.list_runs(project=project_id)
            if r.status == "completed" and r.checkpoint and Path(r.checkpoint).is_file()]
    return max(runs, key=lambda r: (r.ended or r.created or 0, r.id)) if runs else None


def block_activations(store, project_id: str, node_id: str) -> None:
    """Under the inspector: the selected block's output for a test sample, in the project's
    latest trained model (feature maps, or a histogram), when it has one with that block."""
    run = latest_trained_run(store, project_id)
    if run is None:
        return
    blocks = {n["id"]: n.get("type") for n in (run.graph or {}).get("nodes", [])}
    # an Input or Output holds no module: the toggle only led to saying so
    if node_id not in blocks or blocks[node_id] in ("Input", "Output"):
        return
    # a toggle, not an expander: an expander's body runs on every rerun, and loading the
    # trained model is work a designer rerun should only do when asked
    if not st.toggle(f"Show its output in run #{run.id}", key=f"designer.show.{node_id}",
                     help=f"What this block gives for a test sample in run #{run.id}, the "
                          f"design's latest trained run (feature maps, or a histogram)"):
        return
    with st.container(border=True):
        model = trained(store, run)
        modules = dict(model.module.named_modules()) if model is not None else {}
        if node_id not in modules:
            st.caption("This block holds no module in the trained model (an Input, an Output "
                       "or a skipped block).")
            return
        ds = model.dataset
        index = sample_index(len(ds.x_test), f"designer.act.{node_id}")  # None: said
        if index is None:
            return
        out = attributions.activations(model.module, ds.x_test[index:index + 1], node_id)[0]
        st.caption(f"{list(out.shape)} · mean {float(out.mean()):.3g} · std "
                   f"{float(out.std()):.3g} · {float((out == 0).float().mean()):.0%} zeros")
        if out.dim() == 3:
            st.plotly_chart(maps_figure(out.numpy(), limit=8), key=f"designer.maps.{node_id}",
                            config=charts.PICTURE)
        else:
            fig = go.Figure(go.Histogram(x=out.reshape(-1).numpy(), nbinsx=40))
            fig.update_layout(height=200, margin={"l": 0, "r": 0, "t": 10, "b": 0})
            st.plotly_chart(fig, key=f"designer.hist.{node_id}",
                            config=charts.PICTURE)
