"""Exports of trained runs: a run of the database as the graph package's :class:`RunInfo`.

``layerloom export RUN_ID`` and the UI's download buttons call :func:`run_export`; the export
itself (``layerloom.graph.export``) knows nothing of the runtime. The weights come from the
run's last checkpoint, read with ``torch.load(weights_only=True)`` (a checkpoint never runs
code); the dataset is loaded again, as the run recorded it, for what predict.py needs (classes,
normalisation, vocabulary, tabular columns). A dataset that cannot be loaded again (a moved
file) leaves those out rather than failing the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layerloom.graph import Graph, load_graph
from layerloom.graph.export import ExportResult, RunInfo, export_model

from .checkpoint import load_checkpoint
from .errors import TrainError
from .store import RunStore

CURVE_SPLITS = ("train", "val")


def run_export(run_id: int, db: str | Path | RunStore | None = None) -> tuple[Graph, RunInfo]:
    """The graph a run trained (its variables applied) and its :class:`RunInfo`."""
    store = db if isinstance(db, RunStore) else RunStore(db)
    run = store.get(run_id)
    if not run.checkpoint or not Path(run.checkpoint).is_file():
        raise TrainError(no_checkpoint(run, "are no trained weights to export"))
    graph, state = trained_state(run)
    info = RunInfo(config=dict(run.config), metrics=_metrics(store, run),
                   curves=_curves(store, run_id), dataset=_dataset(run.dataset, graph),
                   state_dict=state, run_id=run_id, name=run.name)
    return graph, info


def no_checkpoint(run, missing: str) -> str:
    """Why ``run`` has no checkpoint to use, and what to do, in words: ``run 3 (failed) saved no
    checkpoint, so there are no trained weights to export: it failed before the end of its first
    epoch, with: <its reason>. Train it again once that is fixed``. ``missing``: what that
    leaves out, after "there"."""
    text = f"run {run.id} ({run.status}) saved no checkpoint, so there {missing}"
    if run.status in ("queued", "running"):
        return f"{text}: it has not finished its first epoch yet; try again once it has"
    if run.status == "failed":
        reason = f", with: {str(run.reason).rstrip('.')}." if run.reason else ";"
        return (f"{text}: it failed before the end of its first epoch{reason} Train it again "
                f"once that is fixed")
    if run.status in ("stopped", "paused"):
        return (f"{text}: it was {run.status} before the end of its first epoch; train it "
                f"again, for at least one epoch")
    if run.checkpoint:
        return f"{text}: its checkpoint {run.checkpoint} is gone (moved or deleted)"
    return text


def trained_state(run) -> tuple[Graph, dict]:
    """A run's graph with its variables applied, and its last checkpoint's weights (keys as
    the graph compiles them)."""
    graph = load_graph(run.graph)
    if run.variables:
        graph = graph.copy()
        graph.variables.update(run.variables)
    state = load_checkpoint(run.checkpoint)["model"]
    return graph, {_plain_key(k): v for k, v in state.items()}


def export_run(run_id: int, fmt: str, path: str | Path,
               db: str | Path | RunStore | None = None, **options: Any) -> ExportResult:
    """Export run ``run_id`` with its trained weights (see ``export_model`` for ``options``)."""
    graph, info = run_export(run_id, db)
    if fmt == "bundle":
        info.examples = gradcam_examples(run_id, db)
    return export_model(graph, fmt, path, run=info, **options)


def gradcam_examples(run_id: int, db=None, count: int = 4) -> list[dict]:
    """Grad-CAM over a few test samples of an image classifier run, as PNG pictures with
    captions for the bundle's card (the first ``count`` test samples, a wrong one first where
    there is one); none for other models, or when the run's data cannot be loaded again."""
    import io

    from PIL import Image

    from .attributions import ExplainError, conv_layers, explain_sample, overlay
    from .explain_run import load_run, shown_input

    try:
        trained = load_run(run_id, db)
    except Exception:  # noqa: BLE001 - the card then has no pictures, the export goes on
        return []
    ds = trained.dataset
    shape = tuple(ds.input_shape)
    if not (ds.classes and len(shape) == 3 and shape[0] in (1, 3) and ds.dtype == "float32"
            and conv_layers(trained.module) and len(ds.x_test)):
        return []
    import torch

    with torch.no_grad():
        predicted = trained.module(ds.x_test[:64]).argmax(-1)
    wrong = [i for i in range(len(predicted)) if predicted[i] != ds.y_test[i]]
    picks = (wrong[:1] + [i for i in range(len(predicted)) if i not in wrong[:1]])[:count]
    examples = []
    for i in picks:
        try:
            exp = explain_sample(trained.module, ds.x_test[i], head=trained.head,
                                 classes=ds.classes)
        except ExplainError:
            return []
        picture = Image.fromarray(overlay(shown_input(ds.x_test[i], ds), exp.heatmap))
        side = max(picture.size)
        if side < 112:  # small digits blown up with square pixels, readable in a card
            picture = picture.resize((picture.width * (112 // side + 1),
                                      picture.height * (112 // side + 1)), Image.NEAREST)
        data = io.BytesIO()
        picture.save(data, format="PNG")
        truth = ds.classes[int(ds.y_test[i])]
        examples.append({"png": data.getvalue(), "caption": (
            f"test sample {i}: true {truth}, predicted {ds.classes[exp.predicted]} "
            f"({exp.probability:.0%}), Grad-CAM at {exp.layer}")})
    return examples


def _plain_key(key: str) -> str:
    """Checkpoints of wrapped models (DistributedDataParallel, torch.compile) prefix keys."""
    for prefix in ("module.", "_orig_mod."):
        while key.startswith(prefix):
            key = key[len(prefix):]
    return key


def _metrics(store: RunStore, run) -> dict:
    metrics = dict(run.final_metrics or {})
    if not metrics:
        evaluation = store.evaluation(run.id) or {}
        metrics = {k: v for k, v in evaluation.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return metrics


def _curves(store: RunStore, run_id: int) -> dict[str, list]:
    curves: dict[str, list] = {}
    for m in store.metrics(run_id):
        if m.split in CURVE_SPLITS and m.value is not None and m.name not in ("lr", "time"):
            curves.setdefault(f"{m.split}/{m.name}", []).append((m.epoch + 1, m.value))
    return curves


def _dataset(spec: dict, graph=None) -> dict:
    """What the run was trained on (read for ``graph``, the design it trained): the loaded
    dataset's description, normalisation, vocabulary and columns; the recorded spec alone when
    it cannot be loaded again."""
    from .data.preprocessing import preprocessing
    from .runner import load_from_spec

    out: dict[str, Any] = {"name": str(spec.get("source", "unknown")),
                           "source": str(spec.get("source", ""))}
    try:
        dataset = load_from_spec(spec, graph)  # the copy saved with the run, if any
    except Exception as exc:  # noqa: BLE001 - a moved file: export without predict.py's extras
        out["unavailable"] = str(exc)
        return out
    out.update(dataset.describe())
    prep = preprocessing(dataset)  # the parameters the Results page's "Try it" uses too
    out["normalization"] = prep["normalization"]
    out["vocab"] = dataset.vocab
    out["meta"] = {k: v for k, v in dataset.meta.items() if k in ("columns", "features",
                                                                  "target", "color",
                                                                  "text_column", "scale")}
    if prep.get("columns"):
        out["meta"]["columns"] = prep["columns"]
    out["preprocessing"] = prep
    return out
