"""Plotly figures for the Data, Train, Results and Runs pages.

Each builder is a pure function from plain data (lists, dicts, NumPy arrays, DataFrames) to a
``go.Figure``: no Streamlit, no runtime, so each is tested on its own and the pages only call
``st.plotly_chart(builder(...))``.

Metrics arrive in the long form the run store keeps: one row per (step, name) with ``step``,
``epoch``, ``name`` (``train_loss``, ``val_accuracy``, ``lr``…) and ``value``.

>>> fig = curves_figure([{"step": 1, "epoch": 0, "name": "train_loss", "value": 2.3}], "loss")
>>> [trace.name for trace in fig.data]
['train']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

SPLIT_COLORS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}
# The qualitative palette for overlaid runs: distinct, and kind to the colour-blind.
RUN_COLORS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB",
              "#332288", "#117733", "#882255")
HEIGHT = 320


def metrics_frame(rows: Iterable[Mapping] | pd.DataFrame | None) -> pd.DataFrame:
    """Metric rows as a DataFrame with at least ``step``, ``epoch``, ``name``, ``value``."""
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows or []))
    for column in ("step", "epoch", "name", "value"):
        if column not in frame:
            frame[column] = pd.Series(dtype="object" if column == "name" else "float")
    return frame


def curves_figure(rows, metric: str, *, x: str = "step", title: str | None = None,
                  per_epoch: bool = False) -> go.Figure:
    """Training and validation curves of ``metric`` (``loss``, ``accuracy``…).

    ``per_epoch`` keeps one point per epoch: the epoch's last value for each split (the
    validation metrics come once per epoch anyway). ``x`` is ``step`` or ``epoch``.
    """
    frame = metrics_frame(rows)
    fig = _base(title or metric.replace("_", " ").capitalize(), x, metric)
    for split in ("train", "val", "test"):
        part = frame[frame["name"] == f"{split}_{metric}"].sort_values(["step"])
        if part.empty:
            continue
        if per_epoch:
            part = part.groupby("epoch", as_index=False).last()
        mode = "lines+markers" if per_epoch or split != "train" else "lines"
        fig.add_trace(go.Scatter(x=part[x].tolist(), y=part["value"].tolist(), mode=mode,
                                 name=split, line={"color": SPLIT_COLORS[split]}))
    return fig


def lr_figure(rows, *, x: str = "step") -> go.Figure:
    """The learning rate over training."""
    frame = metrics_frame(rows)
    part = frame[frame["name"] == "lr"].sort_values("step")
    fig = _base("Learning rate", x, "lr")
    fig.add_trace(go.Scatter(x=part[x].tolist(), y=part["value"].tolist(), mode="lines",
                             name="lr", line={"color": "#7f7f7f"}))
    return fig


def lr_finder_figure(lrs: Sequence[float], losses: Sequence[float],
                     suggested: float | None = None) -> go.Figure:
    """The learning-rate range test: loss against rate on a log axis, the suggestion marked."""
    fig = _base("Learning-rate range test", "learning rate", "loss")
    fig.add_trace(go.Scatter(x=list(lrs), y=list(losses), mode="lines", name="loss"))
    fig.update_xaxes(type="log")
    if suggested is not None:
        fig.add_vline(x=suggested, line_dash="dash", line_color="#d62728")
        fig.add_annotation(x=float(np.log10(suggested)), y=1, yref="paper", showarrow=False,
                           text=f"suggested {suggested:.2g}", xanchor="left", yanchor="top")
    return fig


def class_balance_figure(counts: Mapping[str, Mapping[str, int]]) -> go.Figure:
    """Samples per class, one group of bars per split (``Dataset.class_counts()``)."""
    fig = _base("Samples per class", "class", "samples")
    for split, per_class in counts.items():
        if not per_class:
            continue
        fig.add_trace(go.Bar(x=[str(c) for c in per_class], y=list(per_class.values()),
                             name=split, marker_color=SPLIT_COLORS.get(split)))
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    return fig


def confusion_figure(matrix, classes: Sequence[str], *, normalize: bool = False) -> go.Figure:
    """A confusion-matrix heatmap: rows are the true classes, columns the predicted ones.

    ``normalize`` shows each row as shares of its true class; the cell text keeps the counts.
    """
    counts = np.asarray(matrix, dtype=float)
    if counts.shape != (len(classes), len(classes)):
        raise ValueError(f"a confusion matrix for {len(classes)} classes must be "
                         f"{len(classes)}×{len(classes)}, got {counts.shape}")
    shown = counts
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    labels = [str(c) for c in classes]
    fig = go.Figure(go.Heatmap(
        z=shown.tolist(), x=labels, y=labels, colorscale="Blues",
        text=counts.astype(int).tolist(), texttemplate="%{text}",
        hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>"))
    side = max(HEIGHT, 28 * len(labels) + 120)
    fig.update_layout(title="Confusion matrix", height=side, margin=_MARGIN)
    fig.update_xaxes(title="predicted", type="category", side="bottom")
    fig.update_yaxes(title="true", type="category", autorange="reversed")
    return fig


def probabilities_figure(probs: Sequence[float], classes: Sequence[str]) -> go.Figure:
    """Predicted class probabilities as bars, the most likely class highlighted."""
    probs = [float(p) for p in probs]
    if len(probs) != len(classes):
        raise ValueError(f"{len(probs)} probabilities for {len(classes)} classes")
    best = int(np.argmax(probs)) if probs else -1
    colors = ["#d62728" if i == best else "#1f77b4" for i in range(len(probs))]
    fig = _base("Class probabilities", "class", "probability")
    fig.add_trace(go.Bar(x=[str(c) for c in classes], y=probs, marker_color=colors,
                         text=[f"{p:.1%}" for p in probs], textposition="outside"))
    fig.update_yaxes(range=[0, 1.1])
    fig.update_xaxes(type="category")
    return fig


def scatter_figure(y_true, y_pred, *, name: str = "target") -> go.Figure:
    """Predicted against true values (regression), with the line of perfect predictions."""
    true = np.asarray(y_true, dtype=float).ravel()
    pred = np.asarray(y_pred, dtype=float).ravel()
    if true.shape != pred.shape:
        raise ValueError(f"{true.size} true values but {pred.size} predictions")
    fig = _base(f"Predicted vs true {name}", "true", "predicted")
    fig.add_trace(go.Scatter(x=true.tolist(), y=pred.tolist(), mode="markers", name="samples",
                             marker={"size": 5, "opacity": 0.6}))
    if true.size:
        low, high = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
        fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect",
                                 line={"dash": "dash", "color": "#7f7f7f"}))
    return fig


def overlay_figure(runs: Mapping[str, object], name: str, *, x: str = "step") -> go.Figure:
    """One metric (``val_loss``, ``train_accuracy``…) of several runs on one chart.

    ``runs`` maps a run's label to its metric rows.
    """
    fig = _base(name.replace("_", " "), x, name)
    for i, (label, rows) in enumerate(runs.items()):
        frame = metrics_frame(rows)
        part = frame[frame["name"] == name].sort_values("step")
        if part.empty:
            continue
        fig.add_trace(go.Scatter(x=part[x].tolist(), y=part["value"].tolist(), name=str(label),
                                 mode="lines+markers" if len(part) < 50 else "lines",
                                 line={"color": RUN_COLORS[i % len(RUN_COLORS)]}))
    return fig


def parallel_figure(trials: pd.DataFrame, objective: str) -> go.Figure:
    """A parallel-coordinates plot of sweep trials: one axis per setting, the objective last.

    Text settings (an optimiser's name) become category axes with their values as ticks.
    """
    if objective not in trials:
        raise ValueError(f"no column {objective!r} in the trials (columns: "
                         f"{', '.join(map(str, trials.columns))})")
    done = trials[trials[objective].notna()]
    dims = []
    for column in [c for c in done.columns if c != objective] + [objective]:
        values = done[column]
        if values.map(lambda v: isinstance(v, (int, float, np.number))
                      and not isinstance(v, bool)).all():
            dims.append({"label": str(column), "values": values.astype(float).tolist()})
        else:
            labels = sorted({str(v) for v in values})
            codes = [labels.index(str(v)) for v in values]
            dims.append({"label": str(column), "values": codes,
                         "tickvals": list(range(len(labels))), "ticktext": labels})
    line = {"color": done[objective].astype(float).tolist(), "colorscale": "Viridis",
            "showscale": True, "colorbar": {"title": objective}} if len(done) else {}
    fig = go.Figure(go.Parcoords(line=line, dimensions=dims))
    fig.update_layout(title="Sweep trials", height=HEIGHT + 60, margin=_MARGIN)
    return fig


_MARGIN = {"l": 50, "r": 20, "t": 50, "b": 40}


def _base(title: str, x: str, y: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, height=HEIGHT, margin=_MARGIN, legend={"orientation": "h",
                      "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                      uirevision=title)  # keeps zoom and hidden traces across live redraws
    fig.update_xaxes(title=x)
    fig.update_yaxes(title=y)
    return fig
