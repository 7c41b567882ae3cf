"""``layerloom train``, ``runs``, ``resume``, ``sweep`` and ``lr-find``.

Training runs in this process (the fast path) and is recorded in the runs database
(``--home`` or ``$LAYERLOOM_HOME``, default ``~/.layerloom``) unless ``--no-record``. Ctrl-C stops
at the next batch boundary with a checkpoint (``layerloom resume ID`` continues); a second
Ctrl-C ends at once. Errors are printed in words: exit 1 for invalid input (a design that does
not fit the data, a bad setting), 2 for a file that cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .common import (EXIT_INVALID, EXIT_UNREADABLE, EXIT_USAGE, CommandLineError,
                     add_set_option, error_code, load_graph_or_template, load_valid_graph, missing_data_file,
                     new_home, parse_variables, places, positive_count, print_error,
                     unusable_home)
from . import signals
from .data_words import cli_words
from .design_stdin import is_stdin, passed_on
from .graph_commands import parse_data_options, text_options
from .signals import on_stop_signals

# -- arguments ------------------------------------------------------------------------------


def _add_home(p) -> None:
    p.add_argument("--home", metavar="DIR",
                   help="LayerLoom's data folder holding runs.db (default $LAYERLOOM_HOME or "
                        "~/.layerloom)")


def _add_data(p) -> None:
    p.add_argument("--dataset", "-d", required=True, metavar="NAME|FILE",
                   help="a built-in dataset (mnist-5k, iris, moons…), a table (.csv, .tsv, "
                        ".txt, UCI's .data or .dat, an Excel .xlsx, a .parquet, JSON lines "
                        ".jsonl or .ndjson), an .npz or a .zip of image "
                        "folders, or a folder of class folders of images (read from disk as "
                        "training goes)")
    p.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                   help="an option of the dataset or file kind, e.g. n_samples=500, target=price")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the train/val/test split")
    p.add_argument("--val-fraction", type=float, default=0.1, metavar="F",
                   help="share of the samples held out to validate after each epoch "
                        "(default 0.1)")
    p.add_argument("--test-fraction", type=float, default=0.2, metavar="F",
                   help="share of the samples held out for the final test (default 0.2); "
                        "files that bring their own split keep it")


def _add_config(p) -> None:
    p.add_argument("--config", "-c", metavar="CONFIG.json", help="training settings (JSON)")
    p.add_argument("--epochs", type=int, help="passes over the training split (default 10)")
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--batch-size", type=int, help="samples per step (default 32)")
    p.add_argument("--optimizer", choices=("sgd", "adam", "adamw", "rmsprop"),
                   help="optimiser (default adam)")
    p.add_argument("--seed", type=int,
                   help="seed for weights, shuffling, dropout and augmentation (default 0)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to train (default auto: CUDA, then MPS, then the CPU)")
    p.add_argument("--precision", choices=("fp32", "bf16-mixed", "fp16-mixed", "auto-mixed"),
                   help="arithmetic: fp32 (default), bf16-mixed (CPUs with AVX512-BF16/AMX, "
                        "or CUDA), fp16-mixed (CUDA), auto-mixed")
    p.add_argument("--cfg", action="append", metavar="FIELD=VALUE",
                   help="any other training setting, e.g. schedule=cosine (repeatable)")
    add_set_option(p)


def _add_nodes(p, default: int | None = 1) -> None:
    """--nproc, and --nnodes/--node-rank/--master to span machines (see distributed.py)."""
    # a count: --nproc 0 or -2 trained in one process without a word
    p.add_argument("--nproc", type=positive_count, default=default, metavar="N",
                   help="train with N processes on this machine (DistributedDataParallel)"
                   + ("" if default else "; default: as many as the run had"))
    p.add_argument("--nnodes", type=positive_count, default=1, metavar="N",
                   help="machines taking part (each runs this command with its own "
                        "--node-rank); default 1")
    p.add_argument("--node-rank", type=int, default=0, metavar="R",
                   help="this machine's rank among --nnodes, from 0 (node 0 records the run)")
    p.add_argument("--master", metavar="ADDR:PORT",
                   help="node 0's address and a free port there, reachable from every node")


def _add_inputs(p) -> None:
    """What train, sweep and lr-find read: the graph, the data and the training settings."""
    p.add_argument("graph", help="graph JSON file (or a template name; '-' reads it from stdin)")
    _add_data(p)
    _add_config(p)


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a graph on a dataset; record the run")
    _add_inputs(p)
    p.add_argument("--name", help="the run's name (default: the graph's)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (run id and final metrics), nothing else")
    _add_nodes(p)
    p.add_argument("--no-record", action="store_true", help="do not record the run")
    p.add_argument("--weights", metavar="FILE.safetensors",
                   help="start from these weights (e.g. import-torch --weights); tensors whose "
                        "shape differs (a replaced head) start fresh")
    p.add_argument("--replace-head", action="store_true",
                   help="fine-tuning: fit the design's head (its last Linear) to the dataset's "
                        "classes before training; with --weights every other weight is kept "
                        "and the head starts fresh")
    _add_home(p)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("runs", help="list recorded runs; `runs show ID` for one")
    p.add_argument("action", nargs="?", metavar="show", type=_runs_action,
                   help="show one run (runs show 3; runs 3 does the same)")
    p.add_argument("run_id", nargs="?", type=int, help="the run to show (its id)")
    p.add_argument("--status", choices=("queued", "running", "paused", "stopped", "completed",
                                        "failed"), help="only runs with this status")
    p.add_argument("--limit", type=positive_count, default=50,
                   help="list at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_home(p)
    p.set_defaults(func=cmd_runs)

    p = subparsers.add_parser("resume", help="continue a paused, stopped or failed run, or "
                                             "train a completed one for more epochs")
    p.add_argument("run_id", type=int, help="the run to continue (its id)")
    _add_nodes(p, default=None)
    p.add_argument("--epochs", type=int, metavar="N",
                   help="the run's total number of epochs; with a completed run, more than it "
                        "has done trains it further from where it ended")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_home(p)
    p.set_defaults(func=cmd_resume)

    p = subparsers.add_parser("sweep", help="search training settings and graph variables")
    _add_inputs(p)
    p.add_argument("--param", action="append", required=True, metavar="NAME=SPEC",
                   help="lr=1e-4:1e-1:log (range), width=0.5,1,2 (choices); repeatable")
    p.add_argument("--trials", type=int, default=10,
                   help="how many runs to try (default 10; a grid, or lists of values with "
                        "fewer combinations, tries each combination once)")
    p.add_argument("--sampler", choices=("grid", "random", "tpe"), default="tpe",
                   help="how settings are chosen (default tpe: Optuna's TPE)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_home(p)
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser("lr-find", help="learning-rate range test: suggest a rate")
    _add_inputs(p)
    p.add_argument("--start-lr", type=float, default=1e-7,
                   help="the rate the test starts from (default 1e-7)")
    p.add_argument("--end-lr", type=float, default=10.0,
                   help="the rate it rises to (default 10)")
    p.add_argument("--steps", type=int, default=100,
                   help="training steps, the rate rising at each (default 100; it stops "
                        "early where the loss diverges)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_lr_find)


# -- shared steps ---------------------------------------------------------------------------

class UserError(Exception):
    """A problem to print (already in words) with its exit code."""

    def __init__(self, message: str, code: int = EXIT_INVALID):
        super().__init__(message)
        self.code = code


@contextmanager
def _errors_in_words():
    """Turn the runtime's errors into UserError (message, exit code): never a traceback."""
    from layerloom.graph import GraphError
    from layerloom.runtime.config import ConfigError
    from layerloom.runtime.data import DataError
    from layerloom.runtime.errors import RunNotFound, TrainError

    try:
        yield
    except GraphError as exc:
        lines = [f"error: {p}" for p in exc.problems] if exc.problems else [f"error: {exc}"]
        raise UserError("\n".join(lines).removeprefix("error: ")) from None
    except DataError as exc:
        raise UserError(cli_words(str(exc)), error_code(exc)) from None
    except (TrainError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    except RunNotFound as exc:
        raise UserError(str(exc)) from None


def _store(args, *, reading: bool = True):
    """The runs database of ``--home`` (else the usual one); a home that is a file, or under
    one, or that cannot be written where it holds no database yet, is a UserError naming it
    (exit 2), any other problem with the database one too. A home named but not there is
    refused where runs are read (``reading``) and made, said, where one is recorded."""
    from layerloom.runtime.store import RunStore, StoreError, default_db

    problem = new_home(args.home, reading=reading)
    if problem:
        raise UserError(problem, EXIT_UNREADABLE)
    path = Path(args.home) / "runs.db" if args.home else default_db()
    try:
        return RunStore(path)
    except StoreError as exc:
        problem = unusable_home(args.home, writable=not path.exists())
        if problem:
            raise UserError(problem, EXIT_UNREADABLE) from None
        raise UserError(str(exc), error_code(exc)) from None


def _read_graph(path: str):
    from layerloom.graph import GraphError

    from .common import graph_error_code

    try:
        return load_graph_or_template(path)
    except GraphError as exc:
        raise UserError(str(exc), graph_error_code(exc)) from None


def _parse_value(text: str):
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in low else number


def _pairs(items: list[str] | None, flag: str) -> dict:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} expects KEY=VALUE, got {item!r}", EXIT_USAGE)
        out[key.strip()] = _parse_value(value)
    return out


def _config(args):
    from layerloom.runtime.config import ConfigError, TrainConfig

    if args.config:
        try:
            config = TrainConfig.load(args.config)
        except OSError as exc:
            raise UserError(f"{args.config}: cannot read it ({exc.strerror})",
                            EXIT_UNREADABLE) from None
        except ConfigError as exc:
            raise UserError(f"{args.config}: {exc}") from None
    else:
        config = TrainConfig()
    changes = _pairs(getattr(args, "cfg", None), "--cfg")
    for flag in ("epochs", "lr", "batch_size", "optimizer", "seed", "device", "precision"):
        if getattr(args, flag, None) is not None:
            changes[flag] = getattr(args, flag)
    if getattr(args, "weights", None):  # read now: a bad file is said before any run is recorded
        from layerloom.graph import GraphError
        from layerloom.graph.import_torch.finetune import read_weights

        try:
            read_weights(args.weights)
        except GraphError as exc:
            raise UserError(str(exc), EXIT_UNREADABLE) from None
        changes["init_weights"] = str(Path(args.weights).resolve())
    config = config.replace(**changes) if changes else config
    if config.precision != "fp32":  # a precision the device cannot do: said before any run
        from layerloom.runtime import TrainError
        from layerloom.runtime.device import pick_device
        from layerloom.runtime.trainer import precision_plan

        try:
            precision_plan(config, pick_device(config))
        except TrainError as exc:
            raise UserError(str(exc)) from None
    return config


def _dataset(args, graph=None, variables=None):
    from layerloom.runtime.runner import dataset_spec, load_from_spec

    source = args.dataset
    if missing_data_file(source):
        raise UserError(f"{source}: no such file", EXIT_UNREADABLE)
    options = _pairs(args.data_option, "--data-option")
    options.update(parse_data_options([  # a list of names ('drop=["a", "b"]'), as validate
        item for item in args.data_option or []
        if item.partition("=")[2].lstrip()[:1] == "[" or item.partition("=")[0].strip() == "drop"]))
    options.update(text_options(args.data_option))  # a column named 1.5 or 007, as written
    if "image_size" in options and isinstance(options["image_size"], str):
        options["image_size"] = _size(options["image_size"])
    if graph is not None and Path(source).is_dir():  # a folder: decoded to the design's Input
        from layerloom.runtime.data.folder import design_image_options

        options = {**design_image_options(graph, variables), **options}
    spec = dataset_spec(source, args.data_seed, args.val_fraction, args.test_fraction,
                        **options)
    return load_from_spec(spec, graph, variables), spec


def _size(text: str):
    """``64x48`` or ``64,48`` (height, width) as a pair; other text is left for the option's
    own check to refuse in words."""
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    return [int(p) for p in parts] if all(p.strip().isdigit() for p in parts) else text


@contextmanager
def _set_errors_in_words():
    """parse_variables's CommandLineError (--set width) as a UserError like the others, exit 2
    as for a command line argparse refuses."""
    try:
        yield
    except CommandLineError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None


def _variables(args) -> dict:
    with _set_errors_in_words():
        return parse_variables(args.set)


def _design_problems(args) -> int:
    """0 where the design is valid, else its exit code after its problems are said, each with
    its place in the file, as ``train`` and ``validate`` say them (before any data is read)."""
    with _set_errors_in_words():
        return load_valid_graph(args.graph, args.set, templates=True, warnings=False).code


def _graph_and_data(args):
    """The graph (file or template), training settings and dataset that ``args`` name, checked
    to fit each other."""
    graph = _read_graph(args.graph)
    with _errors_in_words():
        config = _config(args)
        ds, spec = _dataset(args, graph, _variables(args))
    _check_fit(graph, ds, _variables(args), config, spec, args.graph)
    return graph, config, ds


def _check_fit(graph, ds, variables: dict, config, spec: dict, path: str | None = None) -> None:
    """UserError when the design does not fit the data (its Input the samples, its Output the
    task), before any run is created: every problem with its fix, and the line of its node in
    the design file at ``path``, a variable's as ``--set``, and for a table which column is
    the target and how to choose another."""
    from layerloom.runtime.data.fit import check_fit
    from layerloom.runtime.data.target import target_note

    with _errors_in_words():
        fit = check_fit(graph, ds, variables or None, task=config.task,
                        target_scaling=config.target_scaling, init_weights=config.init_weights)
    for note in [*ds.meta.get("notes", ()), *fit.notes]:  # how the file was read; advice
        print(f"note: {cli_words(note)}", file=sys.stderr)
    if fit.ok or not fit.design_ok:  # an invalid design is said where it is compiled
        return
    lines = []
    place = places(path, graph) if path else None
    for problem in fit.problems:
        sets = " ".join(f"--set {c.variable}={c.value}" for c in problem.changes if c.variable)
        lines.append(f"{problem}{place(problem) if place else ''}"
                     + (f" On the command line: {sets}" if sets else ""))
    note = None if "target" in (spec.get("options") or {}) else target_note(ds)
    if note:
        lines.append(f"note: {note}")
    raise UserError("\nerror: ".join(lines).replace("error: note: ", "note: "))


def _run(body, args) -> int:
    """``body()``'s exit code; a UserError printed as its message (with ``--debug``, after the
    traceback of the error it was made from)."""
    try:
        return body()
    except UserError as exc:
        print_error(exc, debug=getattr(args, "debug", False))
        return exc.code


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Keras-style output: a progress bar on stderr (when it is a terminal) and one line per
    epoch on stdout."""

    def __init__(self, out=None, err=None, bar: bool | None = None):
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.bar = self.err.isatty() if bar is None else bar
        self._drawn = False
        self._epoch_start: float | None = None  # training seconds when this epoch began
        self.closed = False  # stdout's reader is gone (train … | head -1)

    def epoch_seconds(self, event) -> float:
        """The epoch's own time: the run's training seconds at its end (``time``) less those
        at its start (the previous epoch's end, or where this session began)."""
        total = event.metrics.get("time", 0.0)
        start = self._epoch_start if self._epoch_start is not None else 0.0
        self._epoch_start = total
        return max(0.0, total - start)

    def __call__(self, event) -> str | None:
        """Shows ``event``; ``"stop"`` once stdout's pipe is closed (the trainer then stops at
        the next batch, the run kept, as for Ctrl+C): the BrokenPipeError had ended the run as
        failed, its reason Python's own words."""
        if self.closed:
            return "stop"
        try:
            self._show(event)
        except BrokenPipeError:
            self.closed = True
            with contextlib.suppress(OSError, ValueError):
                print("the output's reader is gone (a closed pipe): stopping at the next batch, "
                      "the run kept", file=self.err, flush=True)
            return "stop"
        return None

    def _show(self, event) -> None:
        if event.kind == "start":
            self._epoch_start = event.elapsed or 0.0
        elif event.kind == "message":
            self._clear()
            print(f"note: {event.message}", file=self.err)
        elif event.kind == "step" and self.bar:
            self._draw(event)
        elif event.kind == "epoch":
            self._clear()
            m = event.metrics
            parts = [f"Epoch {event.epoch + 1}/{event.epochs}", f"{self.epoch_seconds(event):.1f}s"]
            for key, value in m.items():
                if key in ("time", "lr"):
                    continue
                parts.append(f"{key.removeprefix('train_')}: {_fmt(value)}")
            print(" - ".join(parts), file=self.out, flush=True)
        elif event.kind == "end":
            self._clear()

    def _draw(self, event) -> None:
        width = 24
        done = int(width * event.progress)
        m = event.metrics
        metric = next((k for k in ("accuracy", "mae") if k in m), None)
        text = (f"\r{event.step}/{event.total_steps} [{'=' * done}{'.' * (width - done)}] "
                f"loss {_fmt(m.get('loss'))}"
                + (f" {metric} {_fmt(m[metric])}" if metric else "")
                + f" {m.get('samples_per_s', 0):,.0f}/s ETA {_duration(event.eta)}")
        self.err.write(text.ljust(90))
        self.err.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.err.write("\r" + " " * 90 + "\r")
            self.err.flush()
            self._drawn = False


def _ctrl_c_stops(control, *, quiet: bool = False):
    """First Ctrl-C (or SIGTERM, or SIGHUP: the terminal closed): stop at the next batch
    boundary, with a checkpoint, the run kept; a second Ctrl-C: at once (``cli.signals``).
    ``quiet``: say nothing (a process of a ``--nproc`` run other than rank 0, which says it)."""
    return on_stop_signals(control.stop, lambda: control.poll() is not None,
                           None if quiet else "stopping at the next batch")


def _print_result(result, as_json: bool) -> None:
    if as_json:
        out = result.to_dict()
        print(json.dumps(out, default=str))
        return
    if result.status != "completed":
        print(f"{result.status}: {result.reason}", file=sys.stderr)
        if result.run_id is not None:
            print(f"resume it with: layerloom resume {result.run_id}", file=sys.stderr)
    labels = {"test_loss": "Test loss", "test_accuracy": "Test accuracy", "test_mae": "Test MAE",
              "test_rmse": "Test RMSE", "test_r2": "Test R²", "test_mse": "Test MSE"}
    for key, label in labels.items():
        if key in result.metrics:
            print(f"{label}: {result.metrics[key]:.4f}")
    if result.run_id is not None and result.status == "completed":
        print(f"run {result.run_id} recorded (layerloom runs show {result.run_id})",
              file=sys.stderr)


# -- commands -------------------------------------------------------------------------------

def cmd_train(args) -> int:
    from layerloom.runtime.distributed import world_from_env

    if (args.nproc > 1 or args.nnodes > 1) and world_from_env() <= 1:
        if is_stdin(args.graph):
            return _run(lambda: _launch_from_stdin(args), args)
        return _launch(_train_argv(args), args, args.nproc)
    return _run(lambda: _train(args), args)


def _launch_from_stdin(args) -> int:
    """``train - --nproc N``: the design read here, once, and its problems said; each process
    reads it as its stdin (they all read the one stdin: the first took it all)."""
    code = _design_problems(args)
    if code:
        return code
    with passed_on():
        return _launch(_train_argv(args), args, args.nproc)


def _launch(argv: list[str], args, nproc: int) -> int:
    """``argv`` run as ``nproc`` processes here, as node ``--node-rank`` of ``--nnodes``.
    Ctrl+C, SIGTERM and SIGHUP stop them as they stop one process: at the next log step, the
    run kept and resumable (rank 0 says so), however long that takes; the exit code is then
    the signal's (130, 143, 129), else the worst of the processes'."""
    from layerloom.runtime.distributed import Workers

    if nproc < 1 or args.nnodes < 1:
        print("error: --nproc and --nnodes must be at least 1", file=sys.stderr)
        return EXIT_INVALID
    try:
        workers = Workers(argv, nproc, nnodes=args.nnodes, node_rank=args.node_rank,
                          master=args.master)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    with on_stop_signals(workers.stop, lambda: workers.stopping, said=None):
        workers.start()  # a stop signal from now on reaches every process started
        code = workers.wait()
    return signals.exit_code() if workers.stopping else code


def _train(args) -> int:
    from layerloom.runtime.distributed import init_from_env
    from layerloom.runtime.events import Control
    from layerloom.runtime.runner import execute_run, run_training

    with _set_errors_in_words():
        loaded = load_valid_graph(args.graph, args.set, templates=True, warnings=False)
    if loaded.code:
        return loaded.code
    graph, variables = loaded.graph, loaded.variables
    with _errors_in_words():
        config = _config(args)
        ds, spec = _dataset(args, graph, variables)
    if getattr(args, "replace_head", False):
        _replace_head(graph, ds, args, variables)
    _check_fit(graph, ds, variables, config, spec, args.graph)  # before a run is recorded
    with _errors_in_words():
        dist = init_from_env(config.device)
    main = dist is None or dist.is_main
    progress = Progress() if main and not args.json else None
    control = Control()
    finished = False
    try:
        with _errors_in_words(), _ctrl_c_stops(control, quiet=not main):
            if args.no_record or not main:
                result, _ = run_training(graph, ds, config, variables=variables or None,
                                         sink=progress, control=control, dist=dist)
            else:
                store = _store(args, reading=False)
                run_id = store.create_run(args.name or graph.name, graph.to_dict(), spec,
                                          config.to_dict(), variables, status="running")
                result = execute_run(store, run_id, dataset=ds, callback=progress,
                                     control=control, dist=dist)
        finished = True
    finally:
        if dist is not None:
            dist.close(finished=finished)
    if main:
        _print_result(result, args.json)
    return 0 if result.status == "completed" else signals.exit_code()


def _replace_head(graph, ds, args, variables) -> None:
    """--replace-head: the head (last Linear) gives one output per class of ``ds``; said on
    stderr (what changed, what is kept)."""
    from layerloom.graph import validate
    from layerloom.graph.import_torch.finetune import head_node, replace_head

    if not ds.classes:
        raise UserError(f"--replace-head fits the head to the classes of the data, but "
                        f"{ds.name} has no classes (not a classification)")
    with _errors_in_words():
        head = head_node(graph)
        report = validate(graph, variables or None)
        before = report.resolution.top.nodes[head].shape[-1] if report.ok else \
            graph.node(head).params.get("out_features")
        if before == len(ds.classes):
            print(f"note: --replace-head: the head {head} already gives {before} outputs, one "
                  f"per class of {ds.name}; left as it is", file=sys.stderr)
            return
        replace_head(graph, len(ds.classes))
    kept = (f"; every other weight of {Path(args.weights).name} is kept, {head} starts fresh"
            if getattr(args, "weights", None) else "")
    print(f"note: head: {graph.node(head).type} {before} → {len(ds.classes)} classes "
          f"({head}){kept}", file=sys.stderr)


def _train_argv(args) -> list[str]:
    """The train command line for each process of ``--nproc``, rebuilt from ``args``."""
    argv = ["train", args.graph, "--dataset", args.dataset, "--data-seed", str(args.data_seed),
            "--val-fraction", str(args.val_fraction), "--test-fraction", str(args.test_fraction)]
    for flag in ("config", "epochs", "lr", "batch_size", "optimizer", "seed", "device",
                 "precision", "name",
                 "home", "weights"):
        value = getattr(args, flag, None)
        if value is not None:
            argv += [f"--{flag.replace('_', '-')}", str(value)]
    for flag in ("data_option", "cfg", "set"):
        for item in getattr(args, flag, None) or []:
            argv += [f"--{flag.replace('_', '-')}", item]
    for flag in ("json", "no_record", "replace_head"):
        if getattr(args, flag, False):
            argv.append(f"--{flag.replace('_', '-')}")
    return argv


def _runs_action(text: str):
    """``runs``'s first word: ``show``, or a run's id as ``runs 3`` (read as ``runs show 3``:
    it was "argument action: invalid choice: '3' (choose from 'show')")."""
    if text == "show":
        return text
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is neither show nor a run id: layerloom runs "
                                     f"show ID shows one run, layerloom runs lists them")


def cmd_runs(args) -> int:
    if isinstance(args.action, int):  # runs 3: runs show 3
        if args.run_id is not None:
            print(f"error: runs shows one run at a time: layerloom runs show {args.action}",
                  file=sys.stderr)
            return EXIT_USAGE
        args.action, args.run_id = "show", args.action

    def body() -> int:
        if args.action == "show" and args.run_id is None:  # exit 2, as argparse's own refusals
            raise UserError("runs show needs a run id: layerloom runs show ID (layerloom runs "
                            "lists the runs and their ids)", EXIT_USAGE)
        store = _store(args)
        store.recover()
        if args.action == "show":
            with _errors_in_words():
                return _show_run(store, args.run_id, args.json)
        from layerloom.runtime import display_names

        runs = store.list_runs(status=args.status, limit=args.limit)
        # named over every run, as the app names them, whatever --status and --limit keep
        names = display_names(store.list_runs()) if runs else {}
        if args.json:
            print(json.dumps([_run_json(r, _epochs_done(store, r), names[r.id]) for r in runs],
                             default=str))
            return 0
        if not runs:
            print(f"no runs recorded in {store.path}")
            return 0
        _print_table([_run_row(r, _epochs_done(store, r), names[r.id]) for r in runs],
                     ["id", "name", "status", "dataset", "epoch", "best", "test", "created"])
        return 0

    return _run(body, args)


def _epochs_done(store, run) -> int:
    """Epochs the run finished: those its history holds (each end of an epoch writes a row
    there), or what its progress last said, whichever is more (a run killed just after an
    epoch ended has the row, but its progress was not written again)."""
    progress = run.progress or {}
    said = progress.get("epoch", 0) + (1 if run.status == "completed" else 0)
    try:
        return max(said, len(store.history(run.id)))
    except Exception:  # noqa: BLE001 - a listing never fails on one run's history
        return said


def _run_row(run, done: int, name: str) -> dict:
    """A run's line in ``runs``; ``name``: its display name (``seed-cnn #3 · learning rate
    0.01``); its data by name (``small.csv``, not the folder the app keeps an upload in)."""
    from layerloom.runtime.runnames import data_name

    progress = run.progress or {}
    final = run.final_metrics or {}
    test = next((f"{k.removeprefix('test_')} {_fmt(final[k])}{_scale_mark(run, k)}"
                 for k in ("test_accuracy", "test_r2", "test_loss") if k in final), "-")
    best = f"{run.best_metric_name} {_fmt(run.best_metric)}{_scale_mark(run)}" \
        if run.best_metric is not None else "-"
    epochs = progress.get("epochs") or run.config.get("epochs")
    return {"id": run.id, "name": name, "status": run.status,
            "dataset": data_name(run.dataset) if run.dataset else "-",
            "epoch": f"{min(done, epochs or done)}/{epochs}", "best": best, "test": test,
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))}


def _scale_mark(run, metric: str | None = None) -> str:
    """`` (standardised)`` after a loss (``metric``, else the run's best) that a run took on
    its regression target standardised: 0.04 there and 1e10 in dollars squared do not compare
    (runtime/target_scale.py)."""
    name = metric or run.best_metric_name or ""
    return " (standardised)" if run.target_scale and name.endswith("loss") else ""


def _run_json(run, done: int, display_name: str) -> dict:
    """A run for ``runs --json``: numbers as numbers (``best`` is ``{"name", "value",
    "epoch"}``, ``test`` the final test metrics, ``created`` seconds since the epoch);
    ``done``: the epochs it finished (:func:`_epochs_done`); ``name`` as recorded (the
    design's), ``display_name`` what the list and the app show."""
    progress = run.progress or {}
    epochs = progress.get("epochs") or run.config.get("epochs")
    best = None if run.best_metric is None else {
        "name": run.best_metric_name, "value": float(run.best_metric), "epoch": run.best_epoch}
    return {"id": run.id, "name": run.name, "display_name": display_name,
            "status": run.status, "reason": run.reason,
            "dataset": run.dataset.get("source"), "epoch": min(done, epochs or done),
            "epochs": epochs, "best": best,
            "test": {k.removeprefix("test_"): v for k, v in (run.final_metrics or {}).items()},
            "created": run.created, "resumable": run.resumable,
            # the loss's scale: {"target", "mean", "std", "head"}, or null for the target's
            # units (a classifier's loss, a target learned as it is)
            "target_scale": run.target_scale}


HEADS = {"time": "elapsed_s"}  # a history column as `runs show` heads it


def _print_table(rows: list[dict], cols: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in cols))


def _show_run(store, run_id: int, as_json: bool) -> int:
    run = store.get(run_id)
    history = store.history(run_id)
    evaluation = store.evaluation(run_id)
    if as_json:
        out = run.to_dict()
        out.pop("graph")
        out.update(history=history, evaluation=evaluation, resumable=run.resumable)
        print(json.dumps(out, default=str))
        return 0
    print(f"run {run.id}: {run.name} ({run.status})")
    if run.reason:
        print(f"  {run.reason}")
    print(f"  dataset: {run.dataset.get('source')}   graph: {run.graph.get('name')}")
    cfg = run.config
    print(f"  {cfg['optimizer']} lr {cfg['lr']:g}, batch {cfg['batch_size']}, "
          f"{cfg['epochs']} epochs, schedule {cfg['schedule']}, seed {cfg['seed']}")
    if run.variables:
        print("  variables: " + ", ".join(f"{k}={v}" for k, v in run.variables.items()))
    if run.best_metric is not None:
        print(f"  best {run.best_metric_name}: {_fmt(run.best_metric)} (epoch {run.best_epoch})")
    if run.target_scale:
        from layerloom.runtime.target_scale import loss_words

        target = run.target_scale.get("target") or "the target"
        print(f"  loss on {loss_words(run.target_scale)}; mae, rmse and r2 in {target}'s units")
    if history:
        cols = list(dict.fromkeys(k for row in history for k in row))
        # "time" is the training time at the epoch's end, counted from the start: headed so,
        # as the epoch lines of `train` give each epoch's own time
        heads = {c: HEADS.get(c, c) for c in cols}
        print()
        _print_table([{heads[c]: _fmt(row.get(c)) for c in cols} for row in history],
                     [heads[c] for c in cols])
    if evaluation:
        print()
        for key, value in evaluation.items():
            if isinstance(value, (int, float)) and key != "n":
                print(f"  test {key}: {_fmt(value)}")
        if "confusion_matrix" in evaluation:
            print()
            for line in confusion_table(evaluation["classes"], evaluation["confusion_matrix"]):
                print(f"  {line}")
    if run.resumable:
        print(f"\n  resumable: layerloom resume {run.id}")
    return 0


def confusion_table(classes: list, matrix: list[list[int]], width: int = 12) -> list[str]:
    """The confusion matrix as lines of text, labelled: a row per true class, a column per
    predicted class, each headed by its class's name (shortened to ``width``)."""
    names = [_clip(str(c), width) for c in classes]
    corner = "true \\ predicted"
    cell = max(5, *(len(n) for n in names), *(len(str(v)) for row in matrix for v in row))
    side = max(len(corner), *(len(n) for n in names))
    lines = ["confusion matrix (rows: true class, columns: predicted class)",
             f"{corner:>{side}} " + " ".join(f"{n:>{cell}}" for n in names)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:>{side}} " + " ".join(f"{v:>{cell}d}" for v in row))
    return lines


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_resume(args) -> int:
    from layerloom.runtime.distributed import world_from_env

    if world_from_env() > 1:  # one process of a distributed resume
        return _run(lambda: _resume_rank(args), args)
    nproc = args.nproc
    if nproc is None and args.nnodes == 1:  # as many processes as the run had
        nproc = _recorded_processes(args)
    if (nproc or 1) > 1 or args.nnodes > 1:
        argv = ["resume", str(args.run_id)] + (["--epochs", str(args.epochs)]
                                               if args.epochs is not None else [])
        argv += (["--json"] if args.json else []) + (["--home", args.home] if args.home else [])
        return _launch(argv, args, nproc or 1)
    return _resume_here(args)


def _recorded_processes(args) -> int:
    """The processes a run trained with on this machine (its last progress says), else 1."""
    try:
        run = _store(args).get(args.run_id)
    except Exception:  # noqa: BLE001 - a missing run is said by the resume itself
        return 1
    metrics = (run.progress or {}).get("metrics") or {}
    world = int(metrics.get("processes") or 1)
    return world if world > 1 else 1


def _resume_rank(args) -> int:
    """A distributed resume: rank 0 checks the run and hands its graph, settings, dataset spec
    and checkpoint to every process (share); it alone records, as in training."""
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.distributed import init_from_env, share
    from layerloom.runtime.events import Control
    from layerloom.runtime.runner import as_graph, execute_run, load_from_spec, run_training

    payload, store, run = None, None, None
    if int(os.environ.get("RANK", "0")) == 0:
        store = _store(args)
        store.recover()
        with _errors_in_words():
            run = _resumable(store, args)
            payload = _resume_payload(store, run, args.epochs)
    with _errors_in_words():
        dist = init_from_env(payload["config"].get("device", "auto") if payload else "auto")
    control = Control()
    finished = False
    try:
        payload = share(dist, payload)
        with _errors_in_words(), _ctrl_c_stops(control, quiet=not dist.is_main):
            if dist.is_main:
                progress = None if args.json else Progress()
                result = execute_run(store, run.id, resume=True, callback=progress,
                                     control=control, dist=dist, epochs=args.epochs)
            else:
                result, _ = run_training(
                    as_graph(payload["graph"]), load_from_spec(payload["dataset"], payload["graph"],
                                                              payload["variables"]),
                    TrainConfig.from_dict(payload["config"]),
                    variables=payload["variables"] or None, control=control,
                    resume_from=payload["checkpoint"], dist=dist)
        finished = True
    finally:
        dist.close(finished=finished)
    if dist.is_main:
        _print_result(result, args.json)
    return 0 if result.status == "completed" else signals.exit_code()


def _resume_payload(store, run, epochs: int | None) -> dict:
    from layerloom.runtime.checkpoint import load_checkpoint
    from layerloom.runtime.runner import CHECKPOINT_NAME

    config = dict(run.config)
    if epochs is not None:
        config["epochs"] = epochs
    path = run.checkpoint or str(store.run_dir(run.id) / CHECKPOINT_NAME)
    return {"graph": run.graph, "config": config, "variables": run.variables,
            "dataset": run.dataset, "checkpoint": load_checkpoint(path)}


def _resumable(store, args):
    """The run to resume, checked: UserError when it cannot be."""
    from layerloom.runtime.process import check_resume, run_status

    run = run_status(args.run_id, store)
    check_resume(run, store, args.epochs)  # TrainError: said in words, the run left alone
    if run.status == "completed" and not args.json:
        print(f"run {run.id}: training on from epoch {len(store.history(run.id))} to "
              f"{args.epochs}", file=sys.stderr)
    return run


def _resume_here(args) -> int:
    def body() -> int:
        from layerloom.runtime.events import Control
        from layerloom.runtime.runner import execute_run

        store = _store(args)
        store.recover()
        with _errors_in_words():
            run = _resumable(store, args)
            control = Control()
            progress = None if args.json else Progress()
            with _ctrl_c_stops(control):
                result = execute_run(store, run.id, resume=True, callback=progress,
                                     control=control, epochs=args.epochs)
        _print_result(result, args.json)
        return 0 if result.status == "completed" else signals.exit_code()

    return _run(body, args)


def cmd_sweep(args) -> int:
    def body() -> int:
        from layerloom.runtime.events import Control
        from layerloom.runtime.search import _cell as table_cell
        from layerloom.runtime.search import sweep, sweep_spec

        swept = {item.partition("=")[0].strip() for item in args.param or ()}
        if not swept & set(_read_graph(args.graph).variables):
            # every trial builds the design as it is: its problems said once, before any trial
            # (they were each trial's reason to fail, and a sweep was recorded for nothing)
            code = _design_problems(args)
            if code:
                return code
        graph, config, ds = _graph_and_data(args)
        store, control, variables = (_store(args, reading=False), Control(),
                                     _variables(args) or None)
        with _errors_in_words():
            spec = sweep_spec(graph, ds, config, args.param, trials=args.trials,
                              sampler=args.sampler, variables=variables)
            sweep_id = store.create_sweep(f"{graph.name} sweep", spec)

            def stop_on_ctrl_c(event):
                """After Ctrl+C: no new trial (the sweep's flag), this one stops at its next
                batch, as `train` stops (asked here, between batches, not in the handler)."""
                if control.poll():
                    store.update_sweep(sweep_id, control="stop")
                    return "stop"
                return None

            try:
                with _ctrl_c_stops(control):
                    result = sweep(graph, ds, config, args.param, trials=args.trials,
                                   sampler=args.sampler, store=store, variables=variables,
                                   callback=stop_on_ctrl_c, sweep_id=sweep_id)
            except KeyboardInterrupt:  # Ctrl+C twice: at once, the sweep recorded as ended
                store.update_sweep(sweep_id, status="stopped", reason="interrupted",
                                   control=None)
                raise
        if args.json:
            print(json.dumps({"sweep_id": result.sweep_id, "status": result.status,
                              "reason": result.reason, "objective": result.objective,
                              "direction": result.direction, "best": result.best,
                              "trials": result.rows}, default=str))
            if result.status != "completed":
                return signals.exit_code()  # stopped, as the table's exit says
            return EXIT_INVALID if result.best is None else 0
        print(result.table())
        failed = [r for r in result.rows if r["status"] == "failed"]
        if failed:
            print()
        for row in failed:  # settings as the table shows them (4 significant digits)
            chosen = ", ".join(f"{p}={table_cell(row.get(p))}" for p in result.params)
            print(f"trial {row['trial']} ({chosen}) failed: {row.get('reason') or 'no reason given'}")
        if result.status != "completed":
            print(f"\nsweep {result.sweep_id} {result.status}: {result.reason or 'no reason given'}")
        if result.best:
            chosen = ", ".join(f"{p}={table_cell(result.best.get(p))}" for p in result.params)
            print(f"\nbest: {chosen} ({result.objective} {table_cell(result.best['value'])}, run "
                  f"{result.best['run_id']})")
        elif result.status == "completed":
            print(f"error: no trial of sweep {result.sweep_id} gave a result", file=sys.stderr)
            return EXIT_INVALID
        return 0 if result.status == "completed" else signals.exit_code()

    return _run(body, args)


def cmd_lr_find(args) -> int:
    def body() -> int:
        from layerloom.runtime.search import lr_find

        code = _design_problems(args)
        if code:
            return code
        graph, config, ds = _graph_and_data(args)
        with _errors_in_words():
            result = lr_find(graph, ds, config, variables=_variables(args) or None,
                             start_lr=args.start_lr, end_lr=args.end_lr, steps=args.steps)
        if args.json:
            print(json.dumps(result.to_dict()))
            return 0
        print(_sparkline(result))
        if result.suggestion is None:
            print("no suggestion: the loss did not fall; check the data and the design")
            return EXIT_INVALID
        print(f"Suggested learning rate: {result.suggestion:.3g} (steepest descent; "
              f"minimum/10: {result.min_div10:.3g})")
        return 0

    return _run(body, args)


def _sparkline(result) -> str:
    """The smoothed loss against the rate, as one line of block characters."""
    if not result.losses:
        return ""
    blocks = "▁▂▃▄▅▆▇█"
    lo, hi = min(result.losses), max(result.losses)
    step = max(1, len(result.losses) // 60)
    chars = [blocks[min(7, int((v - lo) / (hi - lo + 1e-12) * 8))] for v in result.losses[::step]]
    return f"loss {''.join(chars)}  (lr {result.lrs[0]:.0e} → {result.lrs[-1]:.0e})"
