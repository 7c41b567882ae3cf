"""The Plotly figure builders of ui/charts.py: traces, values and axes from plain data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layerloom.ui import charts

from dataclasses import dataclass


@dataclass
class Row:  # what RunStore.metrics returns, attribute-wise
    step: int
    epoch: int
    split: str
    name: str
    value: float


ROWS = [
    {"step": 10, "epoch": 0, "split": "step", "name": "loss", "value": 2.0},
    {"step": 20, "epoch": 0, "split": "step", "name": "loss", "value": 1.5},
    {"step": 20, "epoch": 0, "split": "train", "name": "loss", "value": 1.7},
    {"step": 20, "epoch": 0, "split": "val", "name": "loss", "value": 1.6},
    {"step": 30, "epoch": 1, "split": "step", "name": "loss", "value": 1.0},
    {"step": 40, "epoch": 1, "split": "step", "name": "loss", "value": 0.8},
    {"step": 40, "epoch": 1, "split": "train", "name": "loss", "value": 0.9},
    {"step": 40, "epoch": 1, "split": "val", "name": "loss", "value": 0.95},
    {"step": 40, "epoch": 1, "split": "step", "name": "accuracy", "value": 0.7},
    {"step": 10, "epoch": 0, "split": "step", "name": "lr", "value": 0.01},
    {"step": 40, "epoch": 1, "split": "step", "name": "lr", "value": 0.005},
]


def test_the_learning_rate_chart_names_its_axis_in_words():
    spec = charts.lr_spec([dict(r, name="lr") for r in ROWS])
    assert spec["layout"]["yaxis"]["title"]["text"] == "learning rate"
    assert [t["name"] for t in spec["data"]] == ["learning rate"]


def test_curves_per_step_show_batches_and_validation_in_step_order():
    fig = charts.curves_figure(list(reversed(ROWS)), "loss")
    by_name = {t.name: t for t in fig.data}
    assert list(by_name) == ["training", "validation"]  # in words, not the splits' keys
    assert list(by_name["training"].x) == [10, 20, 30, 40]
    assert list(by_name["training"].y) == [2.0, 1.5, 1.0, 0.8]
    assert list(by_name["validation"].x) == [20, 40]
    assert list(by_name["validation"].y) == [1.6, 0.95]
    assert fig.layout.xaxis.title.text == "step"


def test_curves_per_epoch_use_the_epoch_rows_numbered_from_one():
    fig = charts.curves_figure([Row(**r) for r in ROWS], "loss", per_epoch=True)
    train, val = fig.data
    assert list(train.x) == [1, 2] and list(train.y) == [1.7, 0.9]
    assert list(val.y) == [1.6, 0.95]
    assert fig.layout.xaxis.title.text == "epoch"


def test_curves_of_a_metric_with_no_rows_is_an_empty_figure():
    assert charts.curves_figure([], "accuracy").data == ()
    assert len(charts.curves_figure(ROWS, "accuracy").data) == 1


def test_lr_figure_reads_the_step_lr_else_the_epoch_lr():
    fig = charts.lr_figure(pd.DataFrame(ROWS))
    assert list(fig.data[0].y) == [0.01, 0.005]
    per_epoch = [{"step": 5, "epoch": 0, "split": "train", "name": "lr", "value": 0.1}]
    fig = charts.lr_figure(per_epoch)
    assert list(fig.data[0].x) == [1] and fig.layout.xaxis.title.text == "epoch"


def test_the_lr_charts_axis_title_sits_as_on_the_loss_and_accuracy_charts_beside_it():
    rows = [{"step": s, "epoch": 0, "split": "step", "name": n, "value": 0.5}
            for s in (1, 40, 80) for n in ("loss", "accuracy", "lr")]
    rows += [{"step": 80, "epoch": 0, "split": "val", "name": n, "value": 0.5}
             for n in ("loss", "accuracy")]
    specs = [charts.curves_spec(rows, "loss"), charts.curves_spec(rows, "accuracy"),
             charts.lr_spec(rows)]
    assert [len(s["data"]) for s in specs] == [2, 2, 1]  # the lr chart has no legend
    # Plotly places a title without a standoff by whether a legend shows: 12 px apart
    titles = [s["layout"]["xaxis"]["title"] for s in specs]
    assert all(t.get("standoff") == charts.X_TITLE_STANDOFF for t in titles), titles
    assert [s["layout"]["margin"] for s in specs] == [specs[0]["layout"]["margin"]] * 3
    assert [s["layout"]["height"] for s in specs] == [specs[0]["layout"]["height"]] * 3
    assert charts.lr_figure(rows).layout.xaxis.title.standoff == charts.X_TITLE_STANDOFF
    # the y axis title clears its tick labels ("0.0006" of a learning rate, wider than the
    # fixed margin: the title was drawn over them and cut at the chart's left edge)
    assert all(s["layout"]["yaxis"].get("automargin") is True for s in specs)


def test_lr_finder_uses_a_log_axis_and_marks_the_suggestion():
    fig = charts.lr_finder_figure([1e-5, 1e-3, 1e-1], [2.3, 1.0, 5.0], suggested=1e-3)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.shapes[0].x0 == 1e-3
    assert "1e-03" in fig.layout.annotations[0].text or "0.001" in fig.layout.annotations[0].text


def test_class_balance_has_one_bar_group_per_split():
    counts = {"train": {"a": 3, "b": 5}, "val": {"a": 1, "b": 1}, "test": {}}
    fig = charts.class_balance_figure(counts)
    assert [t.name for t in fig.data] == ["training", "validation"]
    assert list(fig.data[0].y) == [3, 5] and list(fig.data[0].x) == ["a", "b"]


def test_confusion_counts_and_normalised_rows():
    matrix = [[8, 2], [0, 0]]
    fig = charts.confusion_figure(matrix, ["cat", "dog"], normalize=True)
    heat = fig.data[0]
    assert [list(row) for row in heat.z] == [[0.8, 0.2], [0.0, 0.0]]
    assert [list(row) for row in heat.text] == [[8, 2], [0, 0]]
    assert fig.layout.yaxis.autorange == "reversed"
    # rows and columns named for a reader, and a cell's hover says what its count is
    assert (fig.layout.yaxis.title.text, fig.layout.xaxis.title.text) == (
        "true class", "predicted class")
    assert heat.hovertemplate.startswith("%{text} test samples of class %{y} predicted as %{x}")


def test_confusion_of_the_wrong_size_says_so():
    with pytest.raises(ValueError, match=r"3 classes must be 3×3, got \(2, 2\)"):
        charts.confusion_figure(np.eye(2), ["a", "b", "c"])


def test_probabilities_highlight_the_most_likely_class():
    fig = charts.probabilities_figure([0.1, 0.7, 0.2], ["0", "1", "2"])
    bar = fig.data[0]
    assert list(bar.marker.color) == ["#1f77b4", "#d62728", "#1f77b4"]
    assert list(bar.text) == ["10.0%", "70.0%", "20.0%"]
    with pytest.raises(ValueError, match="2 probabilities for 3 classes"):
        charts.probabilities_figure([0.5, 0.5], ["a", "b", "c"])


def test_scatter_draws_the_diagonal_over_both_ranges():
    fig = charts.scatter_figure([[1.0], [3.0]], [0.5, 4.0])
    assert list(fig.data[0].x) == [1.0, 3.0]
    assert list(fig.data[1].x) == [0.5, 4.0] and list(fig.data[1].y) == [0.5, 4.0]
    with pytest.raises(ValueError, match="2 true values but 3 predictions"):
        charts.scatter_figure([1, 2], [1, 2, 3])


def test_overlay_has_one_trace_per_run_that_has_the_metric():
    runs = {"run a": ROWS, "run b": [{"step": 5, "epoch": 0, "split": "val", "name": "loss",
                                      "value": 3}], "run c": []}
    fig = charts.overlay_figure(runs, "val", "loss")
    assert [t.name for t in fig.data] == ["run a", "run b"]
    assert list(fig.data[1].y) == [3]
    assert fig.data[0].line.color != fig.data[1].line.color


def test_parallel_coordinates_turn_text_settings_into_categories():
    trials = pd.DataFrame({"optimizer": ["adam", "sgd", "adam"], "lr": [1e-3, 1e-2, 1e-1],
                           "val_loss": [0.5, 0.9, None]})
    fig = charts.parallel_figure(trials, "val_loss")
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["optimizer", "lr", "val_loss"]
    assert list(dims[0].ticktext) == ["adam", "sgd"] and list(dims[0].values) == [0, 1]
    assert list(dims[2].values) == [0.5, 0.9]  # the unfinished trial is left out
    with pytest.raises(ValueError, match="no column 'val_acc'"):
        charts.parallel_figure(trials, "val_acc")


def test_signals_are_one_line_each_named_by_label():
    fig = charts.signals_figure(np.zeros((2, 1, 5)), ["sine", "square"])
    assert [t.name for t in fig.data] == ["0: sine", "1: square"] and len(fig.data[0].y) == 5
    with pytest.raises(ValueError, match="2 signals but 1 labels"):
        charts.signals_figure(np.zeros((2, 5)), ["sine"])


def test_long_curves_are_thinned_to_a_few_hundred_points_keeping_the_last():
    rows = [{"step": i, "epoch": 0, "split": "step", "name": "loss", "value": float(i)}
            for i in range(1, 5001)]
    xs, ys = charts.series(rows, "step", "loss")
    assert len(xs) <= charts.MAX_POINTS + 1 and xs[0] == 1 and xs[-1] == 5000
    assert ys == [float(x) for x in xs]


def test_epoch_axes_tick_whole_epochs():
    """Two epochs compared: ticks 1 and 2, not 1, 1.2, 1.4 …; forty: every fifth."""
    from layerloom.ui.charts import curves_figure

    rows = [{"step": 10 * e, "epoch": e, "split": "train", "name": "loss", "value": 1 / (e + 1)}
            for e in range(2)]
    assert curves_figure(rows, "loss", per_epoch=True).layout.xaxis.dtick == 1
    rows = [dict(r, step=10 * e, epoch=e) for e in range(40) for r in rows[:1]]
    assert curves_figure(rows, "loss", per_epoch=True).layout.xaxis.dtick == 5
    assert curves_figure(rows, "loss").layout.xaxis.dtick is None  # steps: Plotly's own
    from layerloom.ui.charts import overlay_figure  # the Runs page's comparison

    two = [{"step": 10 * e, "epoch": e, "split": "val", "name": "loss", "value": 1.0}
           for e in range(2)]
    assert overlay_figure({"a": two, "b": two}, "val", "loss", x="epoch").layout.xaxis.dtick == 1
