"""Results page: a finished run's test metrics, confusion matrix, per-class scores, its most
confidently wrong samples (or predicted-vs-true, or reconstructions), and "Try it"."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st
import torch

from layerloom.runtime.data.images import SUFFIXES as PICTURES
from layerloom.runtime.runnames import epochs_done

from .. import charts, images, inside, live, predict
from ..errors import shown_errors
from ..fields import plain
from ..forms import sample_index, seed
from ..pagestate import PagesState, pages_of, project_of
from .common import (METRIC_MEANINGS, SHARES, metric_title, run_label, run_names, show_notice,
                     swatch)

GALLERY = 12
RECONSTRUCTIONS = 8


def render(state) -> None:
    st.header("Results")
    with shown_errors("The Results page"):
        pages = pages_of(state)
        show_notice(pages)
        store = live.store_of()
        run = choose_run(pages, store, project_of(state))
        if run is None:
            return
        evaluation = store.evaluation(run.id, "test")
        if evaluation is None:
            st.info(f"Run {run.id} is {run.status} and has no test evaluation yet"
                    + (f": {plain(run.reason)}" if run.reason else "") + ". Runs are evaluated on "
                    "the test split when they complete or are stopped.")
            return
        metrics(evaluation)
        kind = evaluation.get("task")
        if kind == "classification":
            classification(store, run, evaluation)
        elif kind == "regression":
            regression(store, run)
        elif kind == "reconstruction":
            reconstruction(store, run)
        if kind in ("classification", "regression"):
            with shown_errors("Try it"):
                try_it(store, run, kind)
        if kind == "classification":
            with shown_errors("Look inside"):
                selected = getattr(state, "selected", None) or [None]
                inside.render(store, run, evaluation, selected[0])


def choose_run(pages: PagesState, store, project: str | None = None):
    every = store.list_runs()
    names = run_names(every)
    runs = [r for r in every if r.status not in ("queued", "running")]
    if not runs:
        st.info("No finished run yet: train one on the Train page.")
        return None
    ids = [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    # the run picked here before, else the one the Train page shows (the one just trained),
    # else the project's latest completed run
    trained = by_id.get(pages.run_id)
    wanted = pages.results_run if pages.results_run in ids else \
        trained.id if trained is not None and trained.project == project else \
        default_run(runs, project).id
    seed("results.run", wanted)
    if st.session_state["results.run"] not in ids:
        st.session_state["results.run"] = wanted
    shown = st.session_state["results.run"]
    st.caption(f"{swatch(shown)} " + plain(showing(by_id[shown], names[shown]))
               + " — choose another:", unsafe_allow_html=True)
    chosen = st.selectbox("Run", ids, key="results.run",
                          format_func=lambda i: run_label(by_id[i], names[i]),
                          label_visibility="collapsed")
    pages.results_run = chosen
    return by_id[chosen]


def default_run(runs: list, project: str | None):
    """The run a page shows first: the project's latest completed run, else the latest
    completed run of any project, else the newest finished one (stopped or failed half-way
    runs are never preferred to a completed one)."""
    pools = ([r for r in runs if r.project == project], runs) if project else (runs,)
    for pool in pools:
        done = [r for r in pool if r.status == "completed"]
        if done:
            return max(done, key=lambda r: (r.ended or r.created or 0, r.id))
    return runs[0]


def showing(run, name: str | None = None) -> str:
    """``Showing run #12 “seed-cnn” finished 19:42``: which run a page shows, in words; with
    its display name (``run_names``), ``Showing run “seed-cnn #12 · learning rate 0.01”
    finished 19:42``."""
    when = run.ended or run.created
    stamp = ""
    if when:
        same_day = time.localtime(when)[:3] == time.localtime()[:3]
        stamp = " " + time.strftime("%H:%M" if same_day else "%b %d, %H:%M",
                                    time.localtime(when))
    verb = {"completed": "finished", "stopped": "stopped half-way",
            "paused": "paused", "failed": "failed"}.get(run.status, run.status)
    planned = (getattr(run, "config", None) or {}).get("epochs")
    done = epochs_done(run)
    if run.status in ("stopped", "paused", "failed") and done is not None and planned:
        verb = f"{run.status} after {done} of {planned} epochs"  # not "half-way" at 10 of 40
    shown = f"run “{name}”" if name else f"run #{run.id} “{run.name}”"
    return f"Showing {shown} {verb}{stamp}"


TILES_A_ROW = 4  # a tile's label ("MAE on the test set") stays whole at 1024 px wide


def metric_tiles(evaluation: dict) -> list[tuple[str, str, str]]:
    """The test evaluation as tiles, ``(label, value, help)``: the sample count, then the
    task's measures, the loss last, each named as a person says it, shares as percentages.

    >>> metric_tiles({"n": 30, "loss": 0.8, "accuracy": 0.7})[1][:2]
    ('Accuracy on the test set', '70.00%')
    """
    names = [k for k in ("accuracy", "macro_f1", "mae", "rmse", "r2", "mse", "loss")
             if isinstance(evaluation.get(k), (int, float))]
    tiles = [("Samples in the test set", str(evaluation.get("n", 0)),
              "Samples kept apart from training, so these scores say how the model does on "
              "data it has never seen.")]
    for name in names:
        value = evaluation[name]
        tiles.append((f"{metric_title(name)} on the test set",
                      f"{value:.2%}" if name in SHARES else f"{value:.4g}",
                      METRIC_MEANINGS[name]))
    return tiles


def metrics(evaluation: dict) -> None:
    tiles = metric_tiles(evaluation)
    for start in range(0, len(tiles), TILES_A_ROW):
        cols = st.columns(TILES_A_ROW)
        for col, (label, value, meaning) in zip(cols, tiles[start:start + TILES_A_ROW]):
            col.metric(label, value, help=meaning)


# -- classification -------------------------------------------------------------------------

# the per-class table's columns (the evaluation's keys) named and explained for a student
PER_CLASS_COLUMNS = {
    "class": st.column_config.TextColumn("Class"),
    "precision": st.column_config.NumberColumn(
        "Precision", format="%.3f",
        help="Of the test samples the model called this class, the share that were"),
    "recall": st.column_config.NumberColumn(
        "Recall", format="%.3f",
        help="Of the test samples of this class, the share the model found"),
    "f1": st.column_config.NumberColumn(
        "F1", format="%.3f", help="The balance of precision and recall (their harmonic mean)"),
    "support": st.column_config.NumberColumn(
        "Test samples", help="How many test samples are of this class"),
}


def classification(store, run, evaluation: dict) -> None:
    classes = evaluation["classes"]
    left, right = st.columns([3, 2])
    with left:
        seed("results.normalize", False)
        share = st.toggle("Show shares of each true class", key="results.normalize")
        st.plotly_chart(charts.confusion_figure(evaluation["confusion_matrix"], classes,
                                                normalize=share), key="results.confusion",
                        config=charts.CONFIG)
    with right:
        table = pd.DataFrame(evaluation["per_class"])
        st.dataframe(table, hide_index=True, column_config=PER_CLASS_COLUMNS)
    wrong = evaluation.get("most_confident_wrong") or []
    st.subheader("Most confidently wrong")
    if not wrong:
        st.success("No test sample was misclassified.")
        return
    ds = predict.run_dataset(run)
    captions = [f"true {w['true_class']} → {w['predicted_class']} ({w['confidence']:.0%})"
                for w in wrong[:GALLERY]]
    index = [w["index"] for w in wrong[:GALLERY]]
    samples = ds.x_test[index]
    if images.is_image_shape(ds.input_shape) and ds.dtype == "float32":
        shown = predict.shown(samples, ds)
        st.image([images.enlarge(images.to_display(x)) for x in shown], caption=captions,
                 width=110)
    else:
        from .data import table_head

        truths = [w["true_class"] for w in wrong[:GALLERY]]
        columns = predict.input_columns(ds)
        if columns and any(c["kind"] != "numeric" for c in columns):
            # in the file's own columns (region: south), as Try it edits a row
            frame = pd.DataFrame([file_row(x, columns) for x in predict.shown(samples, ds)])
            frame["class"] = truths
        else:
            frame = table_head(ds, torch.from_numpy(predict.shown(samples, ds))
                               if ds.dtype == "float32" else samples, truths)
        frame["predicted"] = [w["predicted_class"] for w in wrong[:GALLERY]]
        frame["confidence"] = [w["confidence"] for w in wrong[:GALLERY]]
        st.dataframe(frame, hide_index=True)


# -- regression and reconstruction ----------------------------------------------------------

def regression(store, run) -> None:
    model = predict.trained(store, run)
    ds = model.dataset
    pred = model.outputs(ds.x_test).reshape(ds.y_test.shape)
    if model.target_scale is not None:
        name = (ds.meta or {}).get("target") or "the target"
        st.caption(plain(f"{model.target_scale.describe(name)}; the test loss is on the "
                         f"standardised values, as the training curves are."))
    st.plotly_chart(charts.scatter_figure(ds.y_test.numpy(), pred.numpy()),
                    key="results.scatter", config=charts.CONFIG)


def reconstruction(store, run) -> None:
    model = predict.trained(store, run)
    ds = model.dataset
    x = ds.x_test[:RECONSTRUCTIONS]
    out = model.outputs(x).reshape(x.shape)
    st.subheader("Inputs (top) and reconstructions (bottom)")
    if images.is_image_shape(ds.input_shape):
        for row in (x, out):
            st.image([images.enlarge(images.to_display(s)) for s in predict.shown(row, ds)],
                     width=96)
    else:
        st.plotly_chart(charts.scatter_figure(x.numpy().ravel(), out.numpy().ravel(),
                                              name="value"), key="results.recon",
                        config=charts.CONFIG)


# -- try it ---------------------------------------------------------------------------------

def try_it(store, run, kind: str) -> None:
    st.subheader("Try it")
    model = predict.trained(store, run)
    ds = model.dataset
    x = model_input(ds)
    if x is None:
        return
    if kind == "classification":
        probs = model.probabilities(x)[0]
        st.plotly_chart(charts.probabilities_figure(probs, ds.classes), key="results.probs",
                        config=charts.CONFIG)
    else:
        value = model.outputs(x).reshape(-1).tolist()
        st.metric("prediction", ", ".join(f"{v:.4g}" for v in value))


def model_input(ds) -> torch.Tensor | None:
    """One input, from what the data are: a drawing or picture, a table row, a text."""
    if ds.dtype == "int64" and ds.vocab:
        words = st.text_area("A text to classify", key="results.text",
                             placeholder="Type a sentence…")
        if not words.strip():
            return None
        said, worthless = predict.text_reading(words, ds)
        if worthless:
            st.warning(plain(said), icon=":material/translate:")
            return None
        st.caption(plain(said))
        return predict.from_text(words, ds)
    if images.is_image_shape(ds.input_shape):
        return image_input(ds)
    if len(ds.input_shape) == 1:
        return row_input(ds)
    return sample_input(ds)


def image_input(ds) -> torch.Tensor | None:
    shape = tuple(ds.input_shape)
    ways = ["Pick a test sample", "Upload a picture"]
    drawable = shape == (1, 28, 28) and canvas() is not None
    if drawable:
        ways.insert(0, "Draw a digit")
    how = st.radio("Input", ways, key="results.how", horizontal=True)
    if how == "Draw a digit":
        st.caption("Draw one digit, large and centred; white on black, as MNIST has them.")
        result = canvas()(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                          height=224, width=224, drawing_mode="freedraw", key="results.canvas",
                          return_image_data=True)
        data = getattr(result, "image_data", None)
        if data is None or not np.asarray(data)[..., :3].any():
            return None
        # prepared as the dataset's digits were made: centred by mass in a 20×20 box
        raw = predict.picture_input(np.asarray(data), ds)
    elif how == "Upload a picture":
        file = st.file_uploader("Picture", type=list(PICTURES),  # those training reads
                                key="results.upload")
        if file is None:
            return None
        raw = predict.picture_input(predict.upload_pixels(file.getvalue()), ds)
        if shape[0] == 1 and predict.digit_frame(ds) is None and st.checkbox(
                "Invert (dark digit on light paper)", key="results.invert",
                value=raw.mean() > 0.5):  # digits are inverted when needed, by themselves
            raw = 1.0 - raw
    else:
        return sample_input(ds)
    st.image(images.enlarge(images.to_display(raw)), caption="what the model sees", width=112)
    return predict.from_raw(raw[None], ds)


def row_input(ds) -> torch.Tensor | None:
    names = predict.row_names(ds)
    how = st.radio("Input", ["Edit a row", "Upload a row"], key="results.how",
                   horizontal=True)
    if how == "Upload a row":
        # the tables the Data page reads: a row exported as the training file was
        file = st.file_uploader("A table with a header and one row (CSV, TSV, Excel, Parquet "
                                "or JSON lines)", type=list(predict.TABLE_SUFFIXES),
                                key="results.csv")
        if file is None:
            return None
        notes: list[str] = []
        rows = predict.table_rows(file.name, file.getvalue(),  # as the bundle reads it
                                  predict.input_columns(ds), notes, ds.meta.get("sheet"))
        if len(rows) > 1:
            notes.append(f"{file.name} has {len(rows)} rows: the prediction is for the first")
        features = predict.encode_row(rows[0], ds, notes)
        for note in notes:
            st.warning(plain(note))
    else:
        start = predict.shown(ds.x_test[:1], ds)[0]
        columns = predict.input_columns(ds)
        if columns and any(c["kind"] != "numeric" for c in columns):
            features = file_row_input(start, columns, ds)
        else:
            edited = st.data_editor(pd.DataFrame([start], columns=names), key="results.row",
                                    hide_index=True)
            features = edited.iloc[0].to_numpy(dtype=np.float32)
    return predict.from_raw(features[None], ds)


def file_row_input(start: np.ndarray, columns: list[dict], ds) -> np.ndarray:
    """A test row edited in the file's own columns, a category chosen by its name (region:
    north, south, …), not as the model's one-hot 0s and 1s, a date as a date (2024-03-05),
    not as its days since the first and its sines; encoded as an uploaded row is."""
    row = file_row(start, columns)
    config = {c["name"]: st.column_config.SelectboxColumn(options=list(c["categories"]))
              for c in columns if c["kind"] == "categorical"}
    edited = st.data_editor(pd.DataFrame([row]), key="results.row", hide_index=True,
                            column_config=config)
    values = {name: ("" if value is None or value != value else value)
              for name, value in edited.iloc[0].to_dict().items()}
    return predict.encode_row(values, ds)


def file_row(features: np.ndarray, columns: list[dict]) -> dict:
    """One row of the model's features (raw values, one-hot columns included) in the file's
    own columns: ``{"age": 41.0, "region": "south", "signup": "2024-03-05"}``."""
    row: dict = {}
    at = 0
    for column in columns:
        if column["kind"] == "categorical":
            hot = features[at:at + len(column["categories"])]
            # a category unseen in training, or a missing one, is all zeros: shown empty
            row[column["name"]] = column["categories"][int(hot.argmax())] \
                if len(hot) and hot.max() > 0.5 else None
            at += len(column["categories"])
        elif column["kind"] == "date":
            row[column["name"]] = predict.date_text(float(features[at]), column)
            at += len(predict.date_names(column))
        else:
            row[column["name"]] = float(features[at])
            at += 1
    return row


def sample_input(ds) -> torch.Tensor | None:
    n = len(ds.x_test)
    index = sample_index(n, "results.sample")  # None: said out of range below the box
    if index is None:
        return None
    x = ds.x_test[int(index):int(index) + 1]
    truth = ds.y_test[int(index)]
    label = ds.classes[int(truth)] if ds.classes else ", ".join(
        f"{v:.3g}" for v in truth.reshape(-1).tolist())
    if images.is_image_shape(ds.input_shape) and ds.dtype == "float32":
        st.image(images.enlarge(images.to_display(predict.shown(x, ds)[0])),
                 caption=f"true: {label}", width=112)
    else:
        st.caption(f"true: {plain(label)}")
    return x


def canvas():
    """``st_canvas`` from streamlit-drawable-canvas, or None where it is not installed or
    cannot register (outside a running server, as in AppTest)."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - optional: a picker and uploads stand in
        return None
    return st_canvas
