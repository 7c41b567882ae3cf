"""Running one training run from start to result, in this process.

:func:`train` is the Python API (notebooks, the CLI's fast path): a graph, a dataset and a
config in, a :class:`RunResult` out. :func:`execute_run` runs a run recorded in the database: it
is what a run's own process (``python -m layerloom.runtime.worker RUN_ID``) calls, and what a
resume calls. Both go through :func:`run_training`: seed, prepare the model, train, evaluate on
the test split.

>>> from layerloom.runtime import train
>>> result = train("graph.json", "iris", {"epochs": 5})   # doctest: +SKIP
>>> result.metrics["test_accuracy"]                          # doctest: +SKIP
0.93
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from layerloom.graph import Graph, GraphError, load_graph

from .checkpoint import load_checkpoint
from .config import ConfigError, TrainConfig
from .device import configure_process, seed_everything
from .errors import TrainError
from .evaluate import evaluate
from .events import Control, Event, fan_out
from .model import PreparedModel, compile_module, prepare_model
from .rewrite import routed_calls
from .store import RunStore, StoreControl, StoreSink
from .target_scale import fold
from .trainer import Trainer

CHECKPOINT_NAME = "checkpoint.pt"
DATASET_NAME = "dataset.pt"


@dataclass
class RunResult:
    run_id: int | None
    status: str  # completed, stopped, paused
    reason: str
    history: list[dict]  # one row per epoch: train_loss, val_loss, train_accuracy, …
    metrics: dict  # headline numbers: test_loss, test_accuracy | test_mae, test_rmse, test_r2…
    evaluation: dict | None  # the full test report (see evaluate.py)
    model: nn.Module  # the trained model as drawn (with its Softmax, if it ends in one)
    checkpoint: Path | None
    best: dict = field(default_factory=dict)  # {"metric", "value", "epoch"}
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready (without the model)."""
        return {"run_id": self.run_id, "status": self.status, "reason": self.reason,
                "metrics": self.metrics, "best": self.best, "history": self.history,
                "checkpoint": str(self.checkpoint) if self.checkpoint else None,
                "notes": self.notes, "elapsed": self.elapsed}


# -- inputs in their several forms ----------------------------------------------------------

def as_graph(graph: Graph | dict | str | Path) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def as_config(config: TrainConfig | Mapping | str | Path | None, **overrides: Any) -> TrainConfig:
    if config is None:
        config = TrainConfig()
    elif isinstance(config, Mapping):
        config = TrainConfig.from_dict(dict(config))
    elif not isinstance(config, TrainConfig):
        config = TrainConfig.load(config)
    return config.replace(**overrides) if overrides else config


def dataset_spec(source, seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.2,
                 **options: Any) -> dict:
    """What the database keeps to load a dataset again: ``{"source", "seed", "val_fraction",
    "test_fraction", "options"}``. ``source`` may also be a spec dict already, or a Dataset."""
    if isinstance(source, Mapping):
        spec = {"seed": seed, "val_fraction": val_fraction, "test_fraction": test_fraction,
                "options": {}, **source}
        spec["options"] = {**spec.get("options", {}), **options}
        if isinstance(spec.get("source"), (str, Path)) and not spec.get("saved"):
            spec["source"] = _source_path(spec["source"])
        return spec
    if hasattr(source, "x_train"):  # a loaded Dataset: its own record of how it was split
        meta = source.meta
        return {"source": source.source or source.name, "seed": meta.get("seed", seed),
                "val_fraction": meta.get("val_fraction", val_fraction),
                "test_fraction": meta.get("test_fraction", test_fraction),
                "options": dict(meta.get("options", options))}
    return {"source": _source_path(source), "seed": seed, "val_fraction": val_fraction,
            "test_fraction": test_fraction, "options": dict(options)}


def _source_path(source) -> str:
    """A built-in's name as it is; a file or folder as its absolute path, so that the run can be
    resumed, exported or explained from any folder (a relative path means the folder the command
    ran in, and the run outlives it)."""
    from .data import BUILTINS

    text = str(source)
    if text in BUILTINS:
        return text
    path = Path(text).expanduser()
    return str(path.resolve()) if path.exists() else text


def missing_source(spec: Mapping) -> str | None:
    """Why the dataset ``spec`` describes cannot be loaded again, when its file or folder is
    gone (None when it is there, or is a built-in); says where it was looked for."""
    from .data import BUILTINS

    saved = spec.get("saved")
    if saved:
        return None if Path(saved).exists() else f"its saved copy {saved} is gone"
    source = str(spec.get("source", ""))
    if not source or source in BUILTINS:
        return None
    path = Path(source).expanduser()
    if path.exists():
        return None
    where = "" if path.is_absolute() else f" (looked for in {Path.cwd()}: a relative path is " \
        "read from the folder the command runs in)"
    return f"its data {source} is not there{where}"


def load_from_spec(spec: Mapping, graph=None, variables: Mapping[str, Any] | None = None):
    """The dataset a spec describes: the copy saved with the run when there is one (a Dataset
    handed over in memory), else loaded again from its source with the same seed and split;
    read for ``graph`` where given, the design it trains (``data/for_design.py``: an
    ``.npz`` of ``[N, H, W]`` images as its Input takes them)."""
    from .data import load_dataset
    from .data.for_design import spec_for_design

    if spec.get("saved"):
        return load_saved_dataset(spec["saved"])
    if graph is not None:
        spec = spec_for_design(spec, graph, variables)
    return load_dataset(spec["source"], seed=spec.get("seed", 0),
                        val_fraction=spec.get("val_fraction", 0.1),
                        test_fraction=spec.get("test_fraction", 0.2), **spec.get("options", {}))


def save_dataset(ds, path: str | Path) -> Path:
    """Write a Dataset's tensors and facts (plain data, read back with weights_only) so that a
    run given a dataset in memory can be resumed, or run in another process, on the very same
    samples."""
    import dataclasses

    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {f.name: getattr(ds, f.name) for f in dataclasses.fields(ds)}
    fields["input_shape"] = list(fields["input_shape"])
    torch.save({"format": "layerloom-dataset", "fields": fields}, path)
    return path


def load_saved_dataset(path: str | Path):
    import torch

    from .data import DataError, Dataset

    try:
        state = torch.load(path, weights_only=True)
        fields = state["fields"]
    except Exception as exc:  # gone, truncated, or not ours
        raise DataError(f"the dataset saved with the run cannot be read: {exc}",
                        file=path) from None
    fields["input_shape"] = tuple(fields["input_shape"])
    return Dataset(**fields)


def data_changed(run, graph, dataset) -> str | None:
    """Where run ``run``'s data, loaded again from its file, no longer give the samples its
    model (``graph``) was trained on (the file changed since, or is read otherwise now), that
    in words; None where they do. Its model met them with torch's 'mat1 and mat2 shapes cannot
    be multiplied', or the Results page said to set the design's Input."""
    from layerloom.graph import validate

    from .data import DataError, check_input

    top = validate(graph, run.variables or None).resolution.top
    if len(top.inputs) != 1:
        return None
    source = top.nodes[top.inputs[0]]
    try:
        check_input(dataset, source.shape, source.dtype)
    except DataError:
        return (f"run {run.id}'s model takes {list(source.shape)} {source.dtype} per sample, "
                f"but its data, {dataset.name}, now give {list(dataset.input_shape)} "
                f"{dataset.dtype}: the file has changed since the run trained (or is read "
                f"otherwise now), so its samples are not the ones the model learned from; train "
                f"a new run on it")
    return None


def attach_dataset(store: RunStore, run_id: int, ds, spec: dict) -> dict:
    """For a Dataset given in memory: save it beside the run and point the spec at it. A folder
    read from disk (data/folder.py) is not copied: its spec loads it again, split the same."""
    if getattr(ds.x_train, "streaming", False):
        return spec
    spec = {**spec, "saved": str(save_dataset(ds, store.run_dir(run_id) / DATASET_NAME))}
    store.update(run_id, dataset=spec)
    return spec


def as_dataset(dataset, graph=None, variables: Mapping[str, Any] | None = None):
    """A Dataset from a Dataset, a name or path, or a spec dict (read for ``graph`` where
    given, see :func:`load_from_spec`); and the spec to store."""
    if hasattr(dataset, "x_train"):
        return dataset, dataset_spec(dataset)
    spec = dataset_spec(dataset)
    return load_from_spec(spec, graph, variables), spec


# -- one run --------------------------------------------------------------------------------

def run_training(graph: Graph, dataset, config: TrainConfig, *,
                 variables: Mapping[str, Any] | None = None, sink=None,
                 control: Control | None = None, checkpoint_path: Path | None = None,
                 resume_from: Path | dict | None = None, dist=None,
                 run_id: int | None = None) -> tuple[RunResult, PreparedModel]:
    """Seed, build, train, evaluate. Raises GraphError, DataError, TrainError (NonFiniteLoss
    among them) with messages for the user."""
    configure_process(config)
    seed_everything(config.seed)
    prepared = prepare_model(graph, dataset, config, variables)
    for note in prepared.notes:
        if sink is not None:
            sink(Event("message", epochs=config.epochs, message=note))
    trainer = Trainer(prepared, dataset, config, sink=sink, control=control,
                      checkpoint_path=checkpoint_path, dist=dist)
    if resume_from is not None:
        state = resume_from if isinstance(resume_from, dict) else load_checkpoint(
            resume_from, trainer.device)
        trainer.restore(state)
    fit = trainer.fit()
    evaluation, metrics = None, {}
    if fit.status != "paused" and trainer.is_main:  # the task's: metrics in the target's units
        x, y = trainer._on_device(dataset.x_test, dataset.y_test)
        evaluation = evaluate(prepared.module, x, y, trainer.task, dataset.classes,
                              config.eval_batch_size, autocast=trainer.autocast)
        metrics = headline(evaluation)
    model = inference_model(graph, prepared, variables)
    if trainer.target_scale is not None:  # the model handed back predicts in those units
        model.load_state_dict(fold(model.state_dict(), trainer.target_scale))
    st = fit.state
    best = {"metric": trainer.monitor, "value": st.best, "epoch": st.best_epoch}
    return RunResult(run_id, fit.status, fit.reason, st.history, metrics, evaluation, model,
                     fit.checkpoint, best, prepared.notes, st.elapsed), prepared


def headline(evaluation: dict) -> dict:
    """``test_loss``, ``test_accuracy`` (or test MAE/RMSE/R², MSE): the numbers runs list."""
    keys = ("loss", "accuracy", "macro_f1", "mae", "rmse", "r2", "mse")
    return {f"test_{k}": evaluation[k] for k in keys if k in evaluation}


def inference_model(graph: Graph, prepared: PreparedModel, variables) -> nn.Module:
    """The trained model as the graph draws it: the training module itself, or, when a
    trailing softmax was skipped for the loss or a call was routed through a function for
    speed (``rewrite.py``: a C loop or a float32 head neither scripts nor traces), the graph
    compiled again with the trained weights."""
    if not prepared.skipped and not routed_calls(prepared.module):
        return prepared.module.eval()
    model = compile_module(graph, variables)
    model.load_state_dict(prepared.module.state_dict())
    param = next(prepared.module.parameters(), None)
    return model.to(param.device if param is not None else "cpu").eval()


def train(graph: Graph | dict | str | Path, dataset, config: TrainConfig | Mapping | None = None,
          callback: Callable[[Event], Any] | None = None, store: RunStore | None = None, *,
          variables: Mapping[str, Any] | None = None, name: str | None = None,
          control: Control | None = None, checkpoint: str | Path | None = None,
          verbose: bool = False, **overrides: Any) -> RunResult:
    """Train ``graph`` on ``dataset`` here, in this process, and return the result.

    Quiet by default, as a library should be: ``verbose=True`` prints a line per epoch (its
    time, losses and metrics) and any note on stderr, as the CLI does; ``callback`` gets every
    event for your own progress display.

    ``dataset``: a Dataset, a built-in name or file path, or a spec dict (see
    :func:`dataset_spec`). ``config``: a TrainConfig, a dict or a JSON file's path, with
    ``overrides`` (``epochs=3``) on top. ``callback`` gets every :class:`Event` (returning
    ``"stop"`` stops the run). With ``store``, the run is recorded in the database (its id in
    ``result.run_id``) and checkpoints go beside it; ``checkpoint`` names a file otherwise.
    A failure raises (GraphError, DataError, TrainError) after being recorded.
    """
    graph = as_graph(graph)
    config = as_config(config, **overrides)
    ds, spec = as_dataset(dataset, graph, variables)
    if verbose:
        callback = fan_out([EpochPrinter(), callback])
    if store is None:
        result, _ = run_training(graph, ds, config, variables=variables, sink=callback,
                                 control=control,
                                 checkpoint_path=Path(checkpoint) if checkpoint else None)
        return result
    refuse_misfit(graph, ds, config, variables)  # refused, not recorded as a failed run
    run_id = store.create_run(name or graph.name, graph.to_dict(), spec, config.to_dict(),
                              dict(variables or {}), status="running")
    if ds is dataset:  # handed over in memory: keep a copy so that a resume sees the same data
        attach_dataset(store, run_id, ds, spec)
    return execute_run(store, run_id, dataset=ds, callback=callback, control=control)


def refuse_misfit(graph: Graph, ds, config: TrainConfig, variables=None) -> None:
    """Raise before a run is recorded when the design does not fit the data (as a bad data
    option is refused before): DataError when its Input does not take the samples, TrainError
    when its Output does not suit the task; each problem with its fix, and for a table which
    column is the target. An invalid design is left for the compiler to report."""
    from .data import DataError
    from .data.fit import check_fit
    from .data.target import target_note

    fit = check_fit(graph, ds, variables, task=config.task)
    if fit.ok or not fit.design_ok:
        return
    text = " ".join(str(p) for p in fit.problems)
    chosen = "target" in ((getattr(ds, "meta", None) or {}).get("options") or {})
    note = None if chosen else target_note(ds)
    text += f" ({note})" if note else ""
    if any(p.kind in ("inputs", "input", "dtype", "vocab") for p in fit.problems):
        raise DataError(text)
    raise TrainError(text)


class EpochPrinter:
    """A sink that prints one line per epoch (``Epoch 2/5 - 0.8s - loss: 0.41 - …``, the time
    being the epoch's own) and each note, to ``stream`` (stderr by default)."""

    def __init__(self, stream=None):
        self.stream = stream
        self._start = 0.0

    def __call__(self, event: Event) -> None:
        out = self.stream or sys.stderr
        if event.kind == "start":
            self._start = event.elapsed or 0.0
        elif event.kind == "message":
            print(f"note: {event.message}", file=out, flush=True)
        elif event.kind == "epoch":
            m = event.metrics
            seconds, self._start = m.get("time", 0.0) - self._start, m.get("time", 0.0)
            parts = [f"Epoch {event.epoch + 1}/{event.epochs}", f"{max(0.0, seconds):.1f}s"]
            parts += [f"{k.removeprefix('train_')}: {v:.4f}" for k, v in m.items()
                      if k not in ("time", "lr") and isinstance(v, (int, float))]
            print(" - ".join(parts), file=out, flush=True)
        elif event.kind == "end" and event.status != "completed":
            print(f"{event.status}: {event.message}", file=out, flush=True)


def execute_run(store: RunStore, run_id: int, *, resume: bool = False, dataset=None,
                callback=None, control: Control | None = None, dist=None,
                epochs: int | None = None) -> RunResult:
    """Run (or, with ``resume``, continue from its checkpoint) the run ``run_id`` of ``store``,
    recording status, metrics, evaluation and results. Failures are recorded, then raised."""
    run = store.get(run_id)
    path = store.run_dir(run_id) / CHECKPOINT_NAME
    store.update(run_id, status="running", reason=None, started=run.started or time.time(),
                 ended=None, pid=os.getpid(), heartbeat=time.time(), checkpoint=str(path))
    sink = StoreSink(store, run_id)
    try:
        graph = as_graph(run.graph)
        config = TrainConfig.from_dict(run.config)
        if epochs is not None and epochs != config.epochs:
            config = config.replace(epochs=epochs)
            store.update(run_id, config=config.to_dict())
        set_phase(store, run_id, "data")
        ds = dataset if dataset is not None else load_from_spec(run.dataset, graph,
                                                                run.variables)
        set_phase(store, run_id, "model")
        control = _either(control, StoreControl(store, run_id))
        state = None
        if resume:  # metrics logged after the checkpoint will be logged again: drop them
            state = load_checkpoint(path)
            store.trim_metrics(run_id, state["loop"]["step"], state["loop"]["epoch"])
        result, _ = run_training(graph, ds, config, variables=run.variables or None,
                                 sink=fan_out([sink, callback]), control=control,
                                 checkpoint_path=path, resume_from=state, dist=dist,
                                 run_id=run_id)
    except BaseException as exc:
        status = "stopped" if isinstance(exc, KeyboardInterrupt) else "failed"
        unrecorded = _record_failure(store, run_id, sink, status, exc)
        if unrecorded:
            exc.add_note(f"(it could not be recorded: {unrecorded})")
        raise
    sink.flush()
    record_result(store, run_id, result)
    return result


def _record_failure(store: RunStore, run_id: int, sink, status: str,
                    exc: BaseException) -> str | None:
    """Record the run's end by ``exc``: its metrics so far, its status and reason, its
    traceback. The error that kept them from being recorded, or None: it is never raised in
    the place of ``exc`` (on a full disk every write fails, and the user was told that the
    disk is full instead of why the run failed)."""
    problem = None
    for record in (sink.flush, lambda: store.set_status(run_id, status, failure_reason(exc),
                                                        pid=None)):
        try:
            record()
        except Exception as err:  # noqa: BLE001 - the first failure is the one to say
            problem = problem or str(err)
    log_failure(store, run_id, exc)
    return problem


def set_phase(store: RunStore, run_id: int, phase: str) -> None:
    """Say what a starting run is doing (``Run.phase``): kept in its progress until its first
    point replaces it."""
    progress = store.get(run_id).progress or {}
    store.update(run_id, progress={**progress, "phase": phase})


def record_result(store: RunStore, run_id: int, result: RunResult) -> None:
    now = time.time()
    if result.evaluation is not None:
        store.save_evaluation(run_id, "test", result.evaluation)
        step = (store.get(run_id).progress or {}).get("step", 0)
        epoch = len(result.history)
        store.add_metrics([(run_id, step, epoch, "test", k.removeprefix("test_"), v, now)
                           for k, v in result.metrics.items()])
    best = result.best
    store.set_status(run_id, result.status, result.reason, pid=None,
                     final_metrics=result.metrics or None, best_metric=best.get("value"),
                     best_metric_name=best.get("metric"), best_epoch=best.get("epoch"))


def failure_reason(exc: BaseException) -> str:
    """Why a run failed, in words a user can act on."""
    import torch

    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, GraphError):
        return f"the design is invalid: {exc}"
    if isinstance(exc, (TrainError, ConfigError)):
        return str(exc)
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return "the GPU ran out of memory: try a smaller batch_size or a smaller model"
    if isinstance(exc, MemoryError):
        return "the run ran out of memory: try a smaller batch_size, model or dataset"
    from .data import DataError

    if isinstance(exc, DataError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def log_failure(store: RunStore, run_id: int, exc: BaseException) -> None:
    """The traceback, for whoever debugs it, in the run's folder (never shown by default)."""
    try:
        text = "".join(traceback.format_exception(exc))
        (store.run_dir(run_id) / "error.txt").write_text(text, encoding="utf-8")
    except OSError:
        pass


def _either(local: Control | None, remote: StoreControl):
    """A control that answers the in-process request first, then the database's."""
    if local is None:
        return remote

    class Both:
        def poll(self):
            return local.poll() or remote.poll()

    return Both()
