"""Finding training settings: the learning-rate range test and hyperparameter sweeps.

:func:`lr_find` raises the rate exponentially over about a hundred steps and watches the
smoothed loss; it suggests the rate where the loss falls fastest, and reports the rate a tenth
of the loss's minimum as the other rule of thumb.

:func:`sweep` tries settings with Optuna (grid, random or TPE sampler) over training fields
(``lr``, ``batch_size``, ``optimizer``…) and the graph's ``variables`` (``width``…). Every trial
is a run in the database, tagged with the sweep's id.

>>> parse_param("lr=1e-4:1e-1:log")
Param(name='lr', low=0.0001, high=0.1, log=True, choices=None, integer=False, grid=3)
>>> parse_param("width=0.5,1,2").choices
[0.5, 1, 2]
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layerloom.graph import GraphError, validate

from .config import FIELD_NAMES, ConfigError, TrainConfig
from .data import DataError
from .device import configure_process, pick_device, seed_everything
from .errors import TrainError
from .model import prepare_model
from .optim import make_optimizer
from .runner import (DATASET_NAME, as_config, as_dataset, as_graph, dataset_spec, execute_run,
                     save_dataset)
from .store import RunStore
from .trainer import epoch_permutation

SAMPLERS = ("grid", "random", "tpe")


# -- the learning-rate range test -----------------------------------------------------------

@dataclass
class LRFinderResult:
    lrs: list[float]
    losses: list[float]  # smoothed (exponential average, bias-corrected)
    raw_losses: list[float]
    suggestion: float | None  # steepest descent of the smoothed loss
    min_div10: float | None  # the rate at the smoothed loss's minimum, divided by 10
    stopped_early: bool  # the loss diverged before end_lr

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def lr_find(graph, dataset, config: TrainConfig | Mapping | None = None, *,
            variables: Mapping[str, Any] | None = None, start_lr: float = 1e-7,
            end_lr: float = 10.0, steps: int = 100, smoothing: float = 0.98,
            diverge: float = 4.0) -> LRFinderResult:
    """Train a fresh copy of the model for ``steps`` steps at rates growing from ``start_lr``
    to ``end_lr``; stop when the smoothed loss exceeds ``diverge`` × its best. Nothing is kept."""
    if not 0 < start_lr < end_lr:
        raise TrainError(f"lr_find needs 0 < start_lr < end_lr, got {start_lr:g} and {end_lr:g}")
    if steps < 10:
        raise TrainError(f"lr_find needs at least 10 steps, got {steps}")
    graph, config = as_graph(graph), as_config(config)
    ds, _ = as_dataset(dataset, graph, variables)
    configure_process(config)
    seed_everything(config.seed)
    prepared = prepare_model(graph, ds, config, variables)
    device = pick_device(config)
    model, task = prepared.module.to(device).train(), prepared.task
    optimizer = make_optimizer(model, config.replace(lr=start_lr), device)
    x_all, y_all = ds.x_train.to(device), ds.y_train.to(device)
    b = min(config.batch_size, len(x_all))
    per_epoch = max(1, len(x_all) // b)
    ratio = (end_lr / start_lr) ** (1 / (steps - 1))
    lrs, raw, smooth = [], [], []
    avg, best, stopped = 0.0, math.inf, False
    perm = None
    for i in range(steps):
        if i % per_epoch == 0:
            perm = epoch_permutation(len(x_all), config.seed, i // per_epoch).to(device)
        index = perm[(i % per_epoch) * b:(i % per_epoch + 1) * b]
        lr = start_lr * ratio ** i
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = x_all[index], y_all[index]
        loss = task.per_sample_loss(model(x), task.target(x, y)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        value = loss.item()  # a hundred reads: the curve is the point here
        if not math.isfinite(value):
            stopped = True
            break
        avg = smoothing * avg + (1 - smoothing) * value
        smoothed = avg / (1 - smoothing ** (i + 1))
        lrs.append(lr)
        raw.append(value)
        smooth.append(smoothed)
        best = min(best, smoothed)
        if i > 10 and smoothed > diverge * best:
            stopped = True
            break
    suggestion, min_div10 = suggest(lrs, smooth)
    return LRFinderResult(lrs, smooth, raw, suggestion, min_div10, stopped)


def suggest(lrs: list[float], losses: list[float]) -> tuple[float | None, float | None]:
    """``(steepest, min/10)``: the rate where the smoothed loss falls fastest against log(lr)
    before its minimum, and a tenth of the rate at the minimum.

    The slope is taken across a window of steps (a twentieth of the curve, at least two on each
    side), so the noise of single steps in the flat start cannot pass for a descent.
    """
    if len(lrs) < 5:
        return None, None
    loss, log_lr = np.asarray(losses), np.log(np.asarray(lrs))
    low = int(loss.argmin())
    min_div10 = lrs[low] / 10
    w = max(2, len(lrs) // 20)
    centres = range(w, low - w + 1)
    if not centres:
        return min_div10, min_div10
    slopes = [(loss[i + w] - loss[i - w]) / (log_lr[i + w] - log_lr[i - w]) for i in centres]
    return lrs[centres[int(np.argmin(slopes))]], min_div10


# -- sweeps ---------------------------------------------------------------------------------

@dataclass
class Param:
    """One swept setting: a range (``low``…``high``, maybe ``log``, maybe ``integer``) or a
    list of ``choices``. ``grid`` is how many values a grid takes from a range."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list | None = None
    integer: bool = False
    grid: int = 3

    def values(self) -> list:
        """The grid's values: the choices, or ``grid`` points spread over the range."""
        if self.choices is not None:
            return list(self.choices)
        if self.log:
            points = np.geomspace(self.low, self.high, self.grid)
        else:
            points = np.linspace(self.low, self.high, self.grid)
        if self.integer:
            return sorted({int(round(p)) for p in points})
        return [float(p) for p in points]

    def suggest(self, trial):
        if self.choices is not None:
            return trial.suggest_categorical(self.name, self.choices)
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


def parse_param(text: str) -> Param:
    """``name=low:high[:log][:N]`` (a range; ``N`` values on a grid) or ``name=a,b,c``.

    Whole-number bounds make an integer range (``epochs=2:6``)."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise TrainError(f"a swept setting is NAME=LOW:HIGH[:log] or NAME=A,B,C (for example "
                         f"lr=1e-4:1e-1:log or batch_size=16,32,64), got {text!r}")
    if ":" in spec:
        parts = spec.split(":")
        flags = [p.strip().lower() for p in parts[2:]]
        try:
            low, high = (_number(p) for p in parts[:2])
        except ValueError:
            raise TrainError(f"--param {name}: {parts[0]!r}:{parts[1]!r} is not a range of "
                             f"numbers") from None
        grid = next((int(f) for f in flags if f.isdigit()), 3)
        unknown = [f for f in flags if f != "log" and not f.isdigit()]
        if unknown:
            raise TrainError(f"--param {name}: unknown flag {unknown[0]!r} (use log, or a "
                             f"count of grid values)")
        if not low < high:
            raise TrainError(f"--param {name}: the range needs low < high, got {low:g}:{high:g}")
        if "log" in flags and low <= 0:
            raise TrainError(f"--param {name}: a log range needs low > 0, got {low:g}")
        integer = isinstance(low, int) and isinstance(high, int)
        return Param(name, low, high, "log" in flags, integer=integer, grid=max(2, grid))
    choices = [_value(p.strip()) for p in spec.split(",") if p.strip()]
    if not choices:
        raise TrainError(f"--param {name}: no values given")
    return Param(name, choices=choices)


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


def _value(text: str):
    try:
        return _number(text)
    except ValueError:
        return {"true": True, "false": False}.get(text.lower(), text)


@dataclass
class SweepResult:
    sweep_id: int
    rows: list[dict]  # one per trial: trial, run_id, status, the params, value
    best: dict | None  # the best row
    objective: str
    direction: str  # minimize | maximize
    params: list[str] = field(default_factory=list)
    status: str = "completed"  # or "stopped" (runtime.stop_sweep)
    reason: str | None = None  # why it stopped, in words

    def table(self) -> str:
        """The results as an aligned text table, best first."""
        order = sorted(self.rows, key=lambda r: _sort_key(r, self.direction))
        cols = ["trial", "run_id", "status", *self.params, self.objective]
        cells = [[_cell(r.get(c if c != self.objective else "value")) for c in cols]
                 for r in order]
        widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
                  for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)


def _sort_key(row: dict, direction: str):
    value = row.get("value")
    if value is None or not math.isfinite(value):
        return (1, 0.0)
    return (0, value if direction == "minimize" else -value)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def sweep(graph, dataset, config: TrainConfig | Mapping | None = None,
          params: list[Param | str] | Mapping[str, Any] = (), *, trials: int = 10,
          sampler: str = "tpe", store: RunStore | None = None,
          variables: Mapping[str, Any] | None = None, name: str | None = None,
          callback=None, seed: int = 0, sweep_id: int | None = None) -> SweepResult:
    """Run ``trials`` trials (a grid runs each combination once, at most ``trials``; so does
    any sampler over lists of values with no more combinations than ``trials``), each a
    run recorded in ``store``; the objective is the config's ``monitor`` (val_loss by default)
    at its best epoch. A trial that fails (NaN, a variable that breaks the design) is recorded
    as failed and the sweep goes on. ``sweep_id``: a sweep already recorded (by
    ``runtime.start_sweep``) to run under, instead of recording a new one.

    A stop request (``runtime.stop_sweep``, the sweep row's ``control``) is read between
    trials: no new trial starts, the trial it caught training ends ``stopped`` (pruned for
    Optuna, never a completed value) and the sweep ends ``stopped`` with the reason."""
    import optuna

    graph, config, plist, names = _checked(graph, config, params, sampler)
    info = _spec(config, plist, sampler, trials, dataset, variables)
    store = store or RunStore()
    ds, spec = as_dataset(dataset, graph, variables)
    direction, trials, sampler = info["direction"], info["trials"], info["sampler"]
    if sampler == "grid":
        chooser = optuna.samplers.GridSampler({p.name: p.values() for p in plist}, seed=seed)
    elif sampler == "random":
        chooser = optuna.samplers.RandomSampler(seed=seed)
    else:
        chooser = optuna.samplers.TPESampler(seed=seed)
    if sweep_id is None:
        sweep_id = store.create_sweep(name or f"{graph.name} sweep", info)
    else:
        store.update_sweep(sweep_id, spec={**store.sweep(sweep_id)["spec"], **info},
                           status="running")
    if ds is dataset:  # given in memory: one saved copy serves every trial's record
        spec = {**spec, "saved": str(save_dataset(
            ds, store.root / "sweeps" / str(sweep_id) / DATASET_NAME))}
    rows: list[dict] = []

    def stop_asked() -> bool:
        return store.sweep(sweep_id).get("control") == "stop"

    def objective(trial) -> float:
        if stop_asked():  # asked between the last trial's end and this one's start
            trial.study.stop()
            raise optuna.TrialPruned("the sweep was stopped before this trial began")
        chosen = {p.name: p.suggest(trial) for p in plist}
        cfg_changes = {k: v for k, v in chosen.items() if names[k] == "config"}
        var_changes = {**(variables or {}),
                       **{k: v for k, v in chosen.items() if names[k] == "variable"}}
        row = {"trial": trial.number, "run_id": None, "status": "failed", **chosen,
               "value": None}
        rows.append(row)
        try:
            trial_config = config.replace(**cfg_changes)
            validate(graph, var_changes).raise_if_invalid()
        except (ConfigError, GraphError) as exc:
            row["reason"] = str(exc)
            return float("nan")
        run_id = store.create_run(graph.name, graph.to_dict(), spec,
                                  trial_config.to_dict(), var_changes, sweep_id)
        row["run_id"] = run_id
        if stop_asked():  # asked while this run was recorded: it stops at its first batch
            store.request(run_id, "stop")
        try:
            result = execute_run(store, run_id, dataset=ds, callback=callback)
        except (TrainError, GraphError, DataError, ConfigError) as exc:
            row["reason"] = str(exc)
            return float("nan")
        row["status"] = result.status
        row["value"] = result.best.get("value")
        if result.status != "completed":  # stopped mid-training: its best so far is no result
            raise optuna.TrialPruned(f"run {run_id} was {result.status} during training")
        return row["value"] if row["value"] is not None else float("nan")

    def between_trials(study, _trial) -> None:
        if stop_asked():
            study.stop()

    # a failed trial's reason is in its row (the table says it); Optuna's own warning for the
    # NaN it is given would only say "the value nan is not acceptable"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction=direction, sampler=chooser)
    try:
        study.optimize(objective, n_trials=trials, catch=(), callbacks=[between_trials])
    except BaseException as exc:  # what no trial records (runs/ read-only): the sweep ends,
        with contextlib.suppress(Exception):  # where it was left "running" for ever
            store.update_sweep(sweep_id, status="stopped" if isinstance(exc, KeyboardInterrupt)
                               else "failed", reason=str(exc) or type(exc).__name__,
                               control=None)
        raise
    status, reason = "completed", None
    if stop_asked():
        status, reason = "stopped", stopped_reason(rows, trials)
    store.update_sweep(sweep_id, status=status, reason=reason, control=None)
    scored = [r for r in rows if r["status"] == "completed" and r["value"] is not None
              and math.isfinite(r["value"])]
    best = min(scored, key=lambda r: _sort_key(r, direction)) if scored else None
    return SweepResult(sweep_id, rows, best, config.monitor, direction, [p.name for p in plist],
                       status, reason)


def stopped_reason(rows: list[dict], trials: int) -> str:
    """Why a stopped sweep ended, in words: how many trials finished, and the one it stopped."""
    cut = [r for r in rows if r["status"] == "stopped"]
    done = len(rows) - len(cut)
    text = f"stopped by the user after {done} of {trials} trial{'s' * (trials != 1)}"
    if cut:
        text += (f"; trial {cut[0]['trial']} (run {cut[0]['run_id']}) was stopped during "
                 f"training, its results so far kept")
    return text


def sweep_spec(graph, dataset, config: TrainConfig | Mapping | None,
               params: list[Param | str] | Mapping[str, Any], *, trials: int, sampler: str,
               variables: Mapping[str, Any] | None = None) -> dict:
    """What a sweep's row records (params, sampler, trials, objective, direction, dataset,
    base config, variables), after checking the sampler and the swept names: TrainError,
    GraphError or ConfigError before any trial runs."""
    _, config, plist, _ = _checked(graph, config, params, sampler)
    return _spec(config, plist, sampler, trials, dataset, variables)


def _checked(graph, config, params, sampler: str):
    """The graph, config and swept params, checked; and where each name lives (config or
    variable)."""
    if sampler not in SAMPLERS:
        raise TrainError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    graph, config = as_graph(graph), as_config(config)
    plist = _params(params)
    names = _check_names(plist, graph)
    _check_settings(config, plist, names)
    _check_variables(graph, plist, names)
    return graph, config, plist, names


def _check_variables(graph, plist: list[Param], names: dict[str, str]) -> None:
    """A numeric variable's listed values are numbers (``width=0.5,one`` is a typo, refused
    before any trial runs); whether the design works at each is left to each trial, since a
    design may well work for some values and not others."""
    for p in plist:
        current = graph.variables.get(p.name)
        if names[p.name] != "variable" or p.choices is None or not _is_number(current):
            continue
        for value in p.choices:
            if not _is_number(value):
                raise TrainError(f"--param {p.name}: the value {value!r} cannot be used: the "
                                 f"variable {p.name} is a number ({current} in {graph.name}), "
                                 f"and {value!r} is not one")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_settings(config: TrainConfig, plist: list[Param], names: dict[str, str]) -> None:
    """Each value a swept training setting can take (every choice; a range's two ends) is
    checked as the config checks it: ConfigError naming the parameter and the value, before any
    trial runs (a trial would only fail with it)."""
    for p in plist:
        if names[p.name] != "config":
            continue
        if p.name == "target_scaling" and config.monitor.endswith("_loss") \
                and len(set(p.values())) > 1:
            raise TrainError(f"--param target_scaling: the trials would be ranked by "
                             f"{config.monitor}, which target_scaling puts on another scale "
                             f"(the standardised target, or the target's units squared), so "
                             f"the standardised trial would always look best; rank them by a "
                             f"metric in the target's units: --cfg monitor=val_mae")
        for value in p.choices if p.choices is not None else (p.low, p.high):
            try:
                config.replace(**{p.name: value})
            except ConfigError as exc:
                raise ConfigError([f"--param {p.name}: the value {value!r} cannot be used: "
                                   f"{exc}"]) from None


def _spec(config: TrainConfig, plist: list[Param], sampler: str, trials: int, dataset,
          variables) -> dict:
    direction = "maximize" if config.monitor_mode() == "max" else "minimize"
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise TrainError(f"a sweep needs at least 1 trial, got {trials!r}")
    combinations = math.prod(len(p.values()) for p in plist)
    if all(p.choices is not None for p in plist) and trials >= combinations:
        sampler = "grid"  # TPE and random draws repeat a choice: each combination once instead
    if sampler == "grid":
        trials = min(trials, combinations)
    return {"params": [p.__dict__ for p in plist], "sampler": sampler, "trials": trials,
            "objective": config.monitor, "direction": direction,
            "dataset": dataset_spec(dataset), "base_config": config.to_dict(),
            "variables": dict(variables or {})}


def _params(params) -> list[Param]:
    if isinstance(params, Mapping):
        out = []
        for key, value in params.items():
            if isinstance(value, Param):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.append(Param(key, choices=list(value)))
            else:
                out.append(parse_param(f"{key}={value}"))
        params = out
    plist = [p if isinstance(p, Param) else parse_param(p) for p in params]
    if not plist:
        raise TrainError("a sweep needs at least one parameter (for example lr=1e-4:1e-1:log)")
    seen: set[str] = set()
    for p in plist:
        if p.name in seen:
            raise TrainError(f"--param {p.name} is given twice; give each setting once, with "
                             f"all its values (a range {p.name}=LOW:HIGH or a list "
                             f"{p.name}=A,B,C)")
        seen.add(p.name)
    return plist


def _check_names(plist: list[Param], graph) -> dict[str, str]:
    """Each swept name's kind: "config" (a TrainConfig field) or "variable" (the graph's)."""
    kinds, unknown = {}, []
    for p in plist:
        if p.name in FIELD_NAMES:
            kinds[p.name] = "config"
        elif p.name in graph.variables:
            kinds[p.name] = "variable"
        else:
            unknown.append(p.name)
    if unknown:
        variables = ", ".join(graph.variables) or "none"
        raise TrainError(f"cannot sweep {', '.join(map(repr, unknown))}: not a training setting "
                         f"(lr, batch_size, optimizer, weight_decay, …) nor a variable of "
                         f"{graph.name} ({variables})")
    return kinds

