"""Names that tell runs apart: ``seed-cnn #3 · learning rate 0.001 · batch size 64``.

A run is named after its design, so three runs of one design all read "seed-cnn". A run's
display name is that name and the run's number, then what sets it apart from the other runs of
the same name: the fewest of their differences that tell them all apart, the ones people vary
most first (the rate, the batch, the optimiser, the epochs, the schedule, then the design's
variables, the data, the design itself, any other setting), at most three; where the settings
do not tell two runs apart, when each started. A run alone under its name is just ``name #id``.
Each difference reads in words, as the Train page names the setting ("learning rate 0.001",
"adam optimiser", "weight decay 0.0001"), not as the config's key ("lr 0.001").

The number is the run's id, not its place among its design's runs: it is the handle that
``layerloom runs show``, ``resume`` and ``export`` take and the Runs page's ``run`` column shows,
so the first mlp-tabular run after three seed-cnn runs is ``mlp-tabular #4``. Numbering per
design (``mlp-tabular #1``) would make that name and ``layerloom resume 1`` two different runs,
and a sweep's trial, recorded as ``seed-cnn #3``, would read ``seed-cnn #3 #1``.

Names are worked out from the runs as stored and never written: ids do not change, and runs
recorded before this rule are named the same way. They are relative to the runs given, by
design: a name shows only what tells its run from the others, so it grows as runs that differ
are added (``seed-cnn #1`` alone; ``seed-cnn #1 · learning rate 0.001 · batch size 32`` once
runs at other rates and batches exist). Pass every run, not a filtered few, wherever runs are
listed or picked.

>>> from types import SimpleNamespace as Run
>>> runs = [Run(id=i, name="seed-cnn", config={"lr": lr, "batch_size": bs}, variables={},
...             dataset={"source": "mnist-5k"}, graph={}, created=0.0)
...         for i, lr, bs in [(1, 0.001, 64), (2, 0.01, 64), (3, 0.001, 32)]]
>>> for name in display_names(runs).values():
...     print(name)
seed-cnn #1 · learning rate 0.001 · batch size 64
seed-cnn #2 · learning rate 0.01 · batch size 64
seed-cnn #3 · learning rate 0.001 · batch size 32
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from .config import TrainConfig

MAX_SHOWN = 3  # differences in a name: more would not be read
SEPARATOR = " · "
# the settings people vary first, in the order a name shows them
FIRST = ("lr", "batch_size", "optimizer", "epochs", "schedule", "weight_decay")
# how each shows, in words; any other setting shows as its name in words and its value
# ("label smoothing 0.1")
SHOWN: dict[str, Callable[[Any], str]] = {
    "lr": lambda v: f"learning rate {_num(v)}",
    "batch_size": lambda v: f"batch size {_num(v)}",
    "optimizer": lambda v: f"{v} optimiser",
    "epochs": lambda v: f"{_num(v)} epoch{'' if v == 1 else 's'}",
    "schedule": lambda v: f"{v} schedule",
    "weight_decay": lambda v: f"weight decay {_num(v)}",
}
_DEFAULTS = TrainConfig().to_dict()


def display_names(runs: Iterable) -> dict[int, str]:
    """``{run id: display name}`` for ``runs`` (:class:`~layerloom.runtime.store.Run` rows,
    or anything with their ``id``, ``name``, ``config``, ``variables``, ``dataset``, ``graph``
    and ``created``); see the module's docstring for the rule."""
    groups: dict[str, list] = {}
    for run in runs:
        groups.setdefault(_design_name(run), []).append(run)
    names: dict[int, str] = {}
    for name, group in groups.items():
        group.sort(key=lambda r: r.id)
        versions = _versions(group)
        facts = {run.id: _facts(run, group, versions[run.id]) for run in group}
        keys = _telling_keys(facts)
        for run in group:
            parts = [f"{name} #{run.id}"] + [facts[run.id][k][1] for k in keys]
            names[run.id] = SEPARATOR.join(parts)
    return names


def _design_name(run) -> str:
    """The name a run is grouped under: a sweep's trial recorded before trials took their
    design's name (``seed-cnn #3``, its trial number) goes with its design's runs."""
    name = str(run.name)
    if getattr(run, "sweep_id", None) is not None:
        name = re.sub(r" #\d+$", "", name)
    return name


def _telling_keys(facts: dict[int, dict[str, tuple]]) -> list[str]:
    """The fewest keys, taken in order, that split the runs into ones that each differ: a key
    is kept when it tells apart two runs the keys before it did not; at most MAX_SHOWN, the
    start time last when the rest leave runs alike."""
    if len(facts) < 2:
        return []
    order = list(next(iter(facts.values())))
    kept: list[str] = []
    classes = [list(facts)]  # runs the kept keys do not tell apart
    for key in order:
        if len(kept) == MAX_SHOWN or all(len(c) == 1 for c in classes):
            break
        split = []
        for members in classes:
            by_value: dict[Any, list[int]] = {}
            for run_id in members:
                by_value.setdefault(facts[run_id][key][0], []).append(run_id)
            split.extend(by_value.values())
        if len(split) > len(classes):
            kept.append(key)
            classes = split
    return kept


def _facts(run, group: list, version: int) -> dict[str, tuple[Any, str]]:
    """What may set ``run`` apart, in the order names show it: ``{key: (value to compare,
    as a name shows it)}``; ``version``: which of the group's designs it trained (1, 2…).
    Every run of a group has the same keys."""
    config = {**_DEFAULTS, **(run.config or {})}
    facts: dict[str, tuple[Any, str]] = {}
    for key in FIRST:
        facts[key] = (_comparable(config.get(key)), SHOWN[key](config.get(key)))
    done = epochs_done(run)
    if done is not None and done < config.get("epochs", 0):
        # a run that ended before its planned epochs reads as far as it went: "15 of 40
        # epochs", not "40 epochs" (the plan alone still tells the runs apart)
        facts["epochs"] = (facts["epochs"][0], f"{done} of {SHOWN['epochs'](config['epochs'])}")
    variables = sorted({k for r in group for k in (r.variables or {})})
    for key in variables:
        value = (run.variables or {}).get(key)
        facts[f"variable:{key}"] = (_comparable(value),
                                    f"{key} {_num(value) if value is not None else 'as designed'}")
    dataset = run.dataset or {}
    source = data_name(dataset)
    options = dataset.get("options") or {}
    shown = source + (f" ({', '.join(f'{k}={v}' for k, v in sorted(options.items()))})"
                      if options else "")
    facts["data"] = (_comparable([source, options, dataset.get("seed")]), f"on {shown}")
    facts["design"] = (version, f"design v{version}")
    for key in _DEFAULTS:
        if key not in FIRST:
            facts[key] = (_comparable(config.get(key)),
                          f"{key.replace('_', ' ')} {_plain(config.get(key))}")
    facts["started"] = (run.id, f"started {_when(run.created)}")
    return facts


def epochs_done(run) -> int | None:
    """The epochs an ended run (stopped, paused, failed, or completed early by early
    stopping) went through whole, from its last progress; None while it is queued or running,
    or where no progress was recorded.

    >>> from types import SimpleNamespace as Run
    >>> epochs_done(Run(status="stopped", progress={"epoch": 15, "epochs": 40}))
    15
    >>> epochs_done(Run(status="running", progress={"epoch": 15})) is None
    True
    """
    progress = getattr(run, "progress", None) or {}
    if getattr(run, "status", None) in ("queued", "running") or \
            not isinstance(progress.get("epoch"), int):
        return None
    return progress["epoch"]


def data_name(dataset: dict | None) -> str:
    """What a run trained on, as the user knows it: a built-in's name (``mnist-5k``), an
    uploaded or local file's name without the folder the app keeps it in (``small.csv``, not
    ``…/uploads/7974983fb531/small.csv``), a folder's name; ``?`` when none was recorded.

    >>> data_name({"source": "/home/u/.layerloom/uploads/7974983fb531/small.csv"})
    'small.csv'
    >>> data_name({"source": "/data/photos/"}), data_name({"source": "iris"}), data_name({})
    ('photos', 'iris', '?')
    """
    source = str((dataset or {}).get("source") or "?").replace("\\", "/").rstrip("/")
    return source.rsplit("/", 1)[-1] or "?"


def _versions(group: list) -> dict[int, int]:
    """``{run id: 1}`` for the design of the group's first run, 2 for the next different
    one… (in run order)."""
    seen: dict[str, int] = {}
    out = {}
    for run in group:
        out[run.id] = seen.setdefault(_design_of(run), len(seen) + 1)
    return out


def _design_of(run) -> str:
    return design_key(run.graph or {})


def design_key(graph: dict) -> str:
    """A design (a graph's dict, as a run records it) as one string, without where its blocks
    sit on the canvas (moving a block makes no other model): equal for the same model."""
    return json.dumps(_placeless(graph or {}), sort_keys=True, default=str)


def _placeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeless(v) for k, v in value.items() if k != "position"}
    if isinstance(value, list):
        return [_placeless(v) for v in value]
    return value


def _comparable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _num(value: Any) -> str:
    """``0.001``, ``64``, ``1e-05``: numbers as short as they read."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _plain(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "off"
    if isinstance(value, (list, tuple)):
        return ",".join(_num(v) for v in value)
    return _num(value) if isinstance(value, (int, float)) else str(value)


def _when(created: float | None) -> str:
    """``08:32`` today, ``Dec 05 08:32`` on another day."""
    if not created:
        return "?"
    local = time.localtime(created)
    same_day = local[:3] == time.localtime()[:3]
    return time.strftime("%H:%M" if same_day else "%b %d %H:%M", local)
