"""Small pieces the five run pages share: changing the design, one-off notices, expanders
that stay as the user left them."""

from __future__ import annotations

import streamlit as st

from layerloom.graph import Graph

from ..fields import plain
from ..pagestate import PagesState


def set_graph(state, graph: Graph) -> bool:
    """Make ``graph`` the current design through the designer state's ``commit`` (undoable,
    saved with the project); a plain assignment for a state without one. False where it was
    not saved (a full disk, a read-only folder, another tab's edit it does not join: the
    state's last notice says why), so that the page never says it was."""
    commit = getattr(state, "commit", None)
    if callable(commit):
        return bool(commit(graph)) or state.graph.to_dict() == graph.to_dict()
    state.graph = graph
    return True


def show_notice(pages: PagesState) -> None:
    """Show, once, the message an action left before it reran the page."""
    if pages.notice:
        st.info(plain(pages.notice))
        pages.notice = None


def kept_expander(label: str, key: str, *, open_now: bool = False):
    """An expander that stays as the user left it (its state is kept by the server, in
    ``key``), opened by the page where ``open_now`` (what it holds must be seen: a value out
    of range), never closed by it. An expander drawn open only while a value was refused
    closed itself under the user once the value was fixed, at the next run."""
    if open_now:
        st.session_state[key] = True
    return st.expander(label, key=key, on_change="rerun")


def run_names(runs) -> dict[int, str]:
    """Each run's display name, ``seed-cnn #12 · learning rate 0.01``: its design, its number
    and what sets it apart from the other runs of that design
    (:func:`layerloom.runtime.display_names`).
    Pass every run of the store, so a run reads the same on every page."""
    from layerloom.runtime import display_names

    return display_names(runs)


def swatch(run_id: int) -> str:
    """HTML: a dot in the run's colour (``charts.run_color``), its colour in the Runs page's
    comparison; for a caption drawn with ``unsafe_allow_html``."""
    from ..charts import run_color

    color = run_color(run_id)
    return (f'<span style="color:{color}" title="this run\'s colour in the Runs page\'s '
            f'charts" data-run-color="{color}">●</span>')


def run_label(run, name: str) -> str:
    """``seed-cnn #12 · learning rate 0.01 · mnist-5k · completed · best validation loss
    0.0712``: a run in one line, ``name`` its display name (:func:`run_names`), then its data
    (unless the name says it), status and best score."""
    from layerloom.runtime import data_name

    source = data_name(run.dataset)
    best = ""
    if run.best_metric is not None:
        best = f" · best {metric_title(run.best_metric_name or 'score')} {run.best_metric:.4g}"
    data = "" if f"on {source}" in name else f" · {source}"
    return f"{name}{data} · {run.status}{best}"


def config_line(config: dict | None) -> str:
    """``adam, rate 0.001, batch 32, 10 epochs`` (``1 epoch``), defaults filling what a record
    leaves out: the optimiser, its learning rate, the batch size and the epochs, in words (``lr``
    read as jargon) short enough that the Runs page's table fits a 1366 px window beside a
    run's name, which says "learning rate" in full.

    >>> config_line({"epochs": 1, "optimizer": "adam", "lr": 0.01, "batch_size": 8})
    'adam, rate 0.01, batch 8, 1 epoch'
    """
    return ", ".join(config_parts(config))


def config_parts(config: dict | None) -> list[str]:
    """:func:`config_line`'s four parts.

    >>> config_parts({"epochs": 1, "optimizer": "adam", "lr": 0.01, "batch_size": 8})
    ['adam', 'rate 0.01', 'batch 8', '1 epoch']
    """
    from layerloom.runtime import describe_fields

    full = {f["name"]: f["default"] for f in describe_fields()}
    full.update(config or {})
    epochs = full["epochs"]
    return [str(full["optimizer"]), f"rate {full['lr']:g}", f"batch {full['batch_size']}",
            f"{epochs} epoch{'' if epochs == 1 else 's'}"]


# a test metric's name in words (the records' keys are the evaluation's: macro_f1)
METRIC_WORDS = {"macro_f1": "macro F1", "mae": "MAE", "rmse": "RMSE", "mse": "MSE", "r2": "R²"}
# what each metric means, in a sentence a student can use (the Results page's tooltips)
METRIC_MEANINGS = {
    "accuracy": "The share of samples whose class the model got right.",
    "macro_f1": "F1 (the balance of precision and recall) worked out for each class, then "
                "averaged with every class counting the same: low when the model neglects a "
                "class, even where accuracy is high.",
    "loss": "What training makes smaller (the loss function's value): lower is better.",
    "mae": "Mean absolute error: how far a prediction is from the truth on average, in the "
           "target's units.",
    "rmse": "Root mean squared error: like MAE, in the target's units, but large misses count "
            "more.",
    "r2": "R², the coefficient of determination: 1 is perfect, 0 is no better than always "
          "predicting the average.",
    "mse": "Mean squared error: the average squared miss, in the target's units squared.",
}


def metric_title(name: str) -> str:
    """A metric's name as a person says it: ``macro_f1`` → ``Macro F1``, ``val_loss`` →
    ``validation loss``, ``test_mae`` → ``test MAE``.

    >>> metric_title("macro_f1"), metric_title("val_accuracy"), metric_title("r2")
    ('Macro F1', 'validation accuracy', 'R²')
    """
    split, _, rest = name.partition("_")
    if split in ("val", "test", "train") and rest:
        where = {"val": "validation", "train": "training"}.get(split, split)
        return f"{where} {METRIC_WORDS.get(rest, rest.replace('_', ' '))}"
    words = METRIC_WORDS.get(name, name.replace("_", " "))
    return words[:1].upper() + words[1:]
SHARES = ("accuracy", "macro_f1")  # shown as percentages, as the Results page shows them


def metrics_line(metrics: dict | None, loss_mark: str = "") -> str:
    """A run's test metrics in one line, as the Results page shows them: named in words, shares
    as percentages, the task's own measure first and the loss last (where the line is clipped,
    the loss is what is cut); ``loss_mark`` follows the loss (`` (standardised)``).

    >>> metrics_line({"test_loss": 0.1016, "test_accuracy": 0.964, "test_macro_f1": 0.9641})
    'accuracy 96.4%, macro F1 96.41%, loss 0.1016'
    >>> metrics_line({"test_mae": 21520.4, "test_loss": 0.07}, " (standardised)")
    'MAE 2.152e+04, loss 0.07 (standardised)'
    """
    items = sorted(((k.removeprefix("test_"), v) for k, v in (metrics or {}).items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)),
                   key=lambda kv: kv[0] == "loss")
    return ", ".join(
        f"{METRIC_WORDS.get(name, name)} "
        + (f"{100 * value:.4g}%" if name in SHARES else f"{value:.4g}")
        + (loss_mark if name == "loss" else "") for name, value in items)
