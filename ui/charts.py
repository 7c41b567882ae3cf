"""Plotly figures for the Data, Train, Results and Runs pages.

Each builder is a pure function from plain data (lists, dicts, NumPy arrays, DataFrames) to a
``go.Figure``: no Streamlit, no runtime, so each is tested on its own and the pages only call
``st.plotly_chart(builder(...))``.

Metrics arrive as the run store keeps them: one row per value with ``step``, ``epoch``
(0-based), ``split`` and ``name``. ``split`` is ``step`` for the training batches logged every
few steps, ``train``/``val`` for the per-epoch values, ``test`` for the final evaluation; ``name``
is ``loss``, ``accuracy`` (or ``mae``), ``lr``, ``samples_per_s``…

>>> fig = curves_figure([{"step": 1, "epoch": 0, "split": "step", "name": "loss", "value": 2.3}],
...                     "loss")
>>> [trace.name for trace in fig.data]
['training']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

SPLIT_COLORS = {"train": "#1f77b4", "step": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}
# The qualitative palette for overlaid runs: distinct, kind to the colour-blind (Paul Tol's
# bright and muted schemes), and each at least 3:1 against the white page, as a line or a dot
# must be to be seen (WCAG's non-text contrast): Tol's yellow, cyan and grey (#CCBB44, #66CCEE,
# #BBBBBB, under 2:1) are taken darker, as his medium-contrast scheme takes them.
RUN_COLORS = ("#4477AA", "#EE6677", "#228833", "#997700", "#008899", "#AA3377", "#777777",
              "#332288", "#117733", "#882255")
HEIGHT = 320


def run_color(run_id: int) -> str:
    """A run's colour, the same on every page and chart (the Runs page's comparison, the
    swatch beside its name on the Train and Results pages): derived from its id, so that runs
    started one after another differ and a run keeps its colour whichever runs are beside it.

    >>> run_color(1), run_color(2), run_color(11)
    ('#4477AA', '#EE6677', '#4477AA')
    """
    return RUN_COLORS[(int(run_id) - 1) % len(RUN_COLORS)]

MAX_POINTS = 400  # per trace: a long run's curve is thinned, so a redraw stays cheap
COLUMNS = ("step", "epoch", "split", "name", "value")


def records(rows) -> list[dict]:
    """Metric rows (dicts, objects with those attributes, or a DataFrame) as dicts (dicts pass
    through as they are, so converting once up front spares every later builder the work)."""
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return [r if isinstance(r, Mapping) else {c: getattr(r, c, None) for c in COLUMNS}
            for r in (rows or [])]


def metrics_frame(rows: Iterable | pd.DataFrame | None) -> pd.DataFrame:
    """Metric rows as a DataFrame with the columns ``step``, ``epoch``, ``split``, ``name``,
    ``value``."""
    frame = pd.DataFrame(records(rows))
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(dtype="object" if column in ("split", "name") else "float")
    return frame


def series(rows, split: str, name: str, *, x: str = "step") -> tuple[list, list]:
    """The ``(x, y)`` of one curve, in step order; epochs are shown 1-based.

    Plain Python, no DataFrame: the live panel calls this several times a second.
    """
    picked = sorted(((r["step"], r["epoch"], r["value"]) for r in records(rows)
                     if r.get("split") == split and r.get("name") == name
                     and r.get("value") is not None and r["value"] == r["value"]),
                    key=lambda t: t[0])
    xs = [epoch + 1 if x == "epoch" else step for step, epoch, _ in picked]
    return thin(xs, [value for _, _, value in picked])


def thin(xs: list, ys: list, limit: int = MAX_POINTS) -> tuple[list, list]:
    """At most about ``limit`` points: every k-th, the last always kept.

    >>> thin(list(range(10)), list(range(10)), limit=4)
    ([0, 3, 6, 9], [0, 3, 6, 9])
    """
    if len(xs) <= limit:
        return xs, ys
    step = -(-len(xs) // limit)
    keep = list(range(0, len(xs), step))
    if keep[-1] != len(xs) - 1:
        keep.append(len(xs) - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def curves_spec(rows, metric: str, *, per_epoch: bool = False,
                title: str | None = None) -> dict:
    """Training and validation curves of ``metric`` (``loss``, ``accuracy``, ``mae``), as a
    plain Plotly figure dict (``{"data": [...], "layout": {...}}``).

    Per step: the training batches as logged, and validation at the step each epoch ended.
    Per epoch: the epoch's training and validation values against the epoch number.
    """
    x = "epoch" if per_epoch else "step"
    rows = records(rows)
    traces = []
    for split in ("train" if per_epoch else "step", "val"):
        label = SPLIT_WORDS[split]  # in words
        xs, ys = series(rows, split, metric, x=x)
        if xs:
            mode = "lines" if split == "step" and len(xs) > 1 else "lines+markers"
            traces.append(_scatter(xs, ys, label, SPLIT_COLORS[split], mode))
    return _spec(title or metric.replace("_", " ").capitalize(), x, metric, traces)


def curves_figure(rows, metric: str, *, per_epoch: bool = False,
                  title: str | None = None) -> go.Figure:
    """:func:`curves_spec` as a ``go.Figure``."""
    return go.Figure(curves_spec(rows, metric, per_epoch=per_epoch, title=title))


def lr_spec(rows) -> dict:
    """The learning rate over the training steps (per epoch when no step rows exist), as a
    plain Plotly figure dict."""
    rows = records(rows)
    xs, ys = series(rows, "step", "lr")
    axis = "step"
    if not xs:
        (xs, ys), axis = series(rows, "train", "lr", x="epoch"), "epoch"
    trace = _scatter(xs, ys, "learning rate", "#7f7f7f", "lines" if len(xs) > 1 else "markers")
    spec = _spec("Learning rate", axis, "learning rate", [trace])
    # from zero, so a constant rate reads as one (autorange centres a flat line on ±1)
    spec["layout"]["yaxis"].update(rangemode="tozero", exponentformat="e")
    return spec


def lr_figure(rows) -> go.Figure:
    """:func:`lr_spec` as a ``go.Figure``."""
    return go.Figure(lr_spec(rows))


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


# a split as the legends name it: "val" read as a typo to a student
SPLIT_WORDS = {"train": "training", "step": "training", "val": "validation", "test": "test"}


def class_balance_figure(counts: Mapping[str, Mapping[str, int]]) -> go.Figure:
    """Samples per class, one group of bars per split (``Dataset.class_counts()``)."""
    fig = _base("Samples per class", "class", "samples")
    for split, per_class in counts.items():
        if not per_class:
            continue
        fig.add_trace(go.Bar(x=[str(c) for c in per_class], y=list(per_class.values()),
                             name=SPLIT_WORDS.get(split, split),
                             marker_color=SPLIT_COLORS.get(split)))
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
        hovertemplate="%{text} test samples of class %{y} predicted as %{x}<extra></extra>"))
    side = max(HEIGHT, 28 * len(labels) + 120)
    fig.update_layout(title=_title("Confusion matrix"), height=side,
                      margin={**_MARGIN, "b": 40})  # no legend below
    # the axes say what a row and a column are: "true" alone read as a yes/no
    fig.update_xaxes(title="predicted class", type="category", side="bottom")
    fig.update_yaxes(title="true class", type="category", autorange="reversed")
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


def overlay_figure(runs: Mapping[str, object], split: str, name: str, *,
                   x: str = "step", colors: Mapping[str, str] | None = None,
                   title: str | None = None) -> go.Figure:
    """One curve (``split``, ``name``: ``val``/``loss``, ``step``/``accuracy``…) of several
    runs on one chart; ``runs`` maps a run's label to its metric rows, ``colors`` a label to
    its run's colour (:func:`run_color`; else the palette in order); ``title`` names the curve
    in words ("Validation loss"), else its keys do."""
    label = title or f"{'train (per step)' if split == 'step' else split} {name}"
    traces = []
    for i, (run_label, rows) in enumerate(runs.items()):
        xs, ys = series(rows, split, name, x=x)
        if xs:
            color = (colors or {}).get(run_label) or RUN_COLORS[i % len(RUN_COLORS)]
            traces.append(_scatter(xs, ys, str(run_label), color,
                                   "lines+markers" if len(xs) < 50 else "lines"))
    return _figure(label, x, name, traces)


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
    # the axes' names sit above the plot, under the title: room for both
    fig.update_layout(title=_title("Sweep trials"), height=HEIGHT + 60,
                      margin={**_MARGIN, "t": 64, "b": 40})
    return fig


def signals_figure(signals, labels: Sequence[str]) -> go.Figure:
    """A few 1-D signals (``[N, 1, L]`` or ``[N, L]``), one line each, named by their label."""
    arr = np.asarray(signals, dtype=float)
    arr = arr.reshape(arr.shape[0], -1) if arr.size else arr.reshape(0, 0)
    if len(labels) != len(arr):
        raise ValueError(f"{len(arr)} signals but {len(labels)} labels")
    fig = _base("Samples", "time step", "value")
    for i, (row, label) in enumerate(zip(arr, labels)):
        fig.add_trace(go.Scatter(y=row.tolist(), mode="lines", name=f"{i}: {label}",
                                 line={"color": RUN_COLORS[i % len(RUN_COLORS)]}))
    return fig


# Where every chart puts its furniture, so that none covers another at any width: the title at
# the top left; Plotly's mode bar at the top right, only while the pointer is over the chart and
# with only the tools people use (a shorter bar leaves the title alone even a third of a
# 1280-pixel window wide); the legend under the plot, left-aligned, where more runs or longer
# names add rows that push the plot up instead of growing into the mode bar and the title (the
# legend once sat above the plot at the right, under the mode bar).
_MARGIN = {"l": 50, "r": 20, "t": 44, "b": 72}
# The x axis title's distance below the tick labels, in px. Left to Plotly, it depends on the
# legend: a chart with one trace (no legend, the learning rate) had its title 12 px lower than
# the loss and accuracy charts beside it.
X_TITLE_STANDOFF = 15
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "xref": "paper",
          "y": 0, "yanchor": "bottom", "yref": "container"}
CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    # zoom in/out and autoscale repeat what a drag and a double-click do; lasso and box select
    # have nothing to select; "share" would upload the chart to Plotly's cloud
    "modeBarButtonsToRemove": ["zoomIn2d", "zoomOut2d", "autoScale2d", "lasso2d", "select2d",
                               "sendChartToCloud", "sendDataToCloud"],
}
# pictures rather than charts (feature maps, attributions over an image): no tools at all
PICTURE = {**CONFIG, "displayModeBar": False}


def _title(text: str) -> dict:
    """A title at the top left, clear of the mode bar in the top-right corner."""
    return {"text": text, "x": 0, "xref": "paper", "xanchor": "left",
            "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 10}}


def _scatter(xs: list, ys: list, name: str, color: str | None, mode: str) -> dict:
    return {"type": "scatter", "x": xs, "y": ys, "name": name, "mode": mode,
            "line": {"color": color} if color else {}}


def _spec(title: str, x: str, y: str, traces: list[dict]) -> dict:
    """A figure as a plain dict: the live panel sends these as they are (no validation by
    ``go.Figure``), the other pages wrap them in a figure."""
    return {"data": traces, "layout": {
        "title": _title(title), "height": HEIGHT, "margin": dict(_MARGIN),
        "legend": dict(LEGEND),
        "uirevision": title,  # keeps zoom and hidden traces across live redraws
        "xaxis": {"title": {"text": x, "standoff": X_TITLE_STANDOFF}, **_whole_ticks(x, traces)},
        # the margin grows to hold the tick labels and the title beside them: with a fixed
        # 50 px the learning rate's "0.0006" reached under its axis title, cut at the left
        "yaxis": {"title": {"text": y}, "automargin": True}}}


def _whole_ticks(x: str, traces: list[dict]) -> dict:
    """Epochs are whole numbers: ticks one, two, five… epochs apart, never 1.2 or 1.4.

    >>> _whole_ticks("epoch", [{"x": [1, 2]}]), _whole_ticks("epoch", [{"x": [1, 40]}])
    ({'dtick': 1}, {'dtick': 5})
    >>> _whole_ticks("step", [{"x": [1, 2]}])
    {}
    """
    if x != "epoch":
        return {}
    last = max((v for t in traces for v in t.get("x") or () if isinstance(v, (int, float))),
               default=1)
    return {"dtick": next(d for d in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9)
                          if last / d <= 10)}


def _figure(title: str, x: str, y: str, traces: list[dict]) -> go.Figure:
    """A figure built in one pass (Plotly validates once, not once per trace)."""
    return go.Figure(_spec(title, x, y, traces))


def _base(title: str, x: str, y: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=_title(title), height=HEIGHT, margin=_MARGIN, legend=LEGEND,
                      uirevision=title)  # keeps zoom and hidden traces across live redraws
    fig.update_xaxes(title={"text": x, "standoff": X_TITLE_STANDOFF})
    fig.update_yaxes(title=y)
    return fig
