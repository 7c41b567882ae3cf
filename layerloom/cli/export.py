"""``layerloom export GRAPH|RUN_ID --format F -o PATH``.

A graph file is exported with fresh weights (from ``--seed``); a run id (of the runs database)
with the run's trained weights, and for a bundle its config, metrics, curves and data. Every
file is loaded back and compared with the model before it is kept; the command prints that
check's result and the file's size.

Without ``-o`` the file is named after the graph, as a slug (``My net!`` → ``my-net.onnx``), in
the current folder: a graph's name never chooses a folder. Python code gets a name it can be
imported by (``my_net.py``); a name given that ``import`` cannot load is written, with a note, and
one that would shadow a module (``json.py``) refused (:mod:`.python_files`). An existing file is
refused unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from layerloom.graph import GraphError
from layerloom.graph.summary import format_bytes

from .common import (
    EXIT_INVALID,
    EXIT_UNREADABLE,
    add_set_option,
    load_valid_graph,
    parse_variables,
    printable,
    unusable_home,
)
from .python_files import module_file_problem
from .signals import held

FORMATS = ("json", "python", "torchscript", "onnx", "safetensors", "bundle", "project")
SUFFIX = {"json": ".json", "python": ".py", "torchscript": ".pt", "onnx": ".onnx",
          "safetensors": ".safetensors", "bundle": ".zip"}


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export a graph or a trained run (checked after "
                                              "writing)")
    p.add_argument("source", metavar="GRAPH|RUN_ID",
                   help="a graph JSON file or a template's name (fresh weights; '-' reads "
                        "the graph from stdin), or a run id (trained weights)")
    p.add_argument("--format", "-f", required=True, choices=FORMATS, help="what to write")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="file to write (default: the graph's name as a slug, with the format's "
                        "suffix, in the current folder; -f python: a module name, my_net.py); "
                        "-f python also writes the weights "
                        "beside it, as STEM.safetensors")
    p.add_argument("--force", action="store_true",
                   help="overwrite the file if it exists (-f python: the weights beside it too; "
                        "-f project: a project folder exported before, never another folder)")
    p.add_argument("--seed", type=int, default=0, help="seed of fresh weights (default 0)")
    p.add_argument("--weights", metavar="FILE.safetensors",
                   help="weights for a GRAPH (e.g. from import-torch --weights) instead of fresh "
                        "ones; keyed as the compiled graph's state_dict (-f project: its "
                        "train.py starts from them, a replaced head from fresh values)")
    add_set_option(p)
    p.add_argument("--home", metavar="DIR",
                   help="LayerLoom's folder, whose runs.db holds RUN_ID (default "
                        "$LAYERLOOM_HOME, else ~/.layerloom)")
    p.add_argument("--db", metavar="RUNS.db", help=argparse.SUPPRESS)  # before --home; kept
    p.add_argument("--data", metavar="NAME|FILE",
                   help="project: the dataset a graph trains on (default: the graph's own)")
    p.add_argument("--config", metavar="CONFIG.json",
                   help="project: the training settings of a graph (default: the defaults)")
    p.set_defaults(func=cmd_export)


def slug(name: str | None) -> str:
    """A file name stem from a graph's name (``graph.naming.file_stem``).

    >>> slug("/etc/passwd"), slug("My net!"), slug("..")
    ('etc-passwd', 'my-net', 'model')
    """
    from layerloom.graph.naming import file_stem  # it imports torch: not at the CLI's start

    return file_stem(name)


def cmd_export(args) -> int:
    if args.output == "-":  # taken for a file named "-", where new and codegen print
        print("error: -o -: export writes files and loads each back to check it, so it cannot "
              "print to stdout; give a file name (layerloom codegen prints the model's code)",
              file=sys.stderr)
        return EXIT_INVALID
    if args.format == "project":  # a folder that trains without LayerLoom (runtime/export_project)
        from .export_project import cmd_export_project

        return cmd_export_project(args, _db(args))
    from layerloom.graph.export import ExportError, export_model, planned_files, preload
    from layerloom.graph.naming import module_name

    run = state = None
    if Path(args.source).exists() or not args.source.isdigit():
        # its problems said before anything is written, each with its place in the file
        loaded = load_valid_graph(args.source, args.set, templates=True, warnings=False)
        if loaded.code:
            return loaded.code
        graph = loaded.graph
        if getattr(args, "weights", None):
            state = read_weights(args.weights)
            if state is None:
                return EXIT_UNREADABLE
    else:
        if getattr(args, "weights", None):
            print("error: --weights goes with a GRAPH file; a run exports its own trained "
                  "weights", file=sys.stderr)
            return EXIT_INVALID
        problem = None if args.db else unusable_home(args.home, writable=False)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_UNREADABLE
        loaded = _load_run(args.source, _db(args))
        if loaded is None:
            return EXIT_INVALID  # no such run, or it saved nothing: bad input, as for resume
        graph, run = loaded
    stem = module_name(graph.name) if args.format == "python" else slug(graph.name)
    output = Path(args.output or f"{stem}{SUFFIX[args.format]}")
    if output.is_dir():  # the name to suggest is the design's, as `new` suggests the template's
        print(f"error: {printable(str(output))} is a folder; give the name of a file to write, "
              f"e.g. {printable(str(output / (stem + SUFFIX[args.format])))}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.format == "bundle" and output.suffix.lower() != ".zip" and not output.is_dir():
        # a bundle is a zip: without the suffix it would not open as one (unzip, a file manager)
        print(f"note: a bundle is a zip file: writing {printable(str(output))}.zip, as "
              f"{printable(str(output))} has no .zip suffix")
        output = output.with_name(output.name + ".zip")
    refused, note = module_file_problem(output) if args.format == "python" else (None, None)
    if refused:
        print(f"error: {printable(refused)}", file=sys.stderr)
        return EXIT_INVALID
    planned = planned_files(args.format, output)
    before = {file: file_identity(file) for file in planned}
    try:
        with held():  # imported whole: a Ctrl+C half-way through onnx's made Python abort
            preload(args.format)
        result = export_model(graph, args.format, output, state, run=run, seed=args.seed,
                              variables=parse_variables(args.set), overwrite=args.force)
    except KeyboardInterrupt:
        _say_interrupted(args.format, planned, before)
        raise
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE if exc.unwritable else EXIT_INVALID
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        weights = "the graph only, no weights" + (
            f"; -f safetensors or -f bundle writes run {run.run_id}'s trained weights"
            if run is not None else "")
    elif run is not None:
        weights = f"trained weights of run {run.run_id}"
    elif state is not None:
        weights = f"weights of {printable(args.weights)}"
    else:
        weights = f"fresh weights (seed {args.seed})"
    files = ", ".join(printable(f) for f in result.files)
    print(f"wrote {files} ({args.format}, {weights})")
    for part, diff in result.notes.get("parts", {}).items():
        print(f"  {part}: loaded back, max abs diff {diff:.2e}")
    for part, reason in result.notes.get("skipped", {}).items():
        print(f"  {part}: left out: {reason}")
    print(f"verified: max abs diff {result.max_abs_diff:.2e}; size {format_bytes(result.bytes)}; "
          f"{result.seconds:.2f} s")
    if result.notes.get("sizes"):  # a fixed length is said here, not found in a user's program
        print(f"{'warning: this file takes' if result.notes.get('fixed_length') else 'takes:'} "
              f"{printable(result.notes['sizes'])}")
    if result.notes.get("normalization"):  # raw data fed to these weights gives nonsense
        print(f"inputs: {printable(result.notes['normalization'])}")
    if note:
        print(f"note: {printable(note)}", file=sys.stderr)
    return 0


def file_identity(file: Path) -> tuple[int, int] | None:
    """What tells a file from the one that may replace it (an export moves a new file in)."""
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _say_interrupted(fmt: str, planned: list[Path], before: dict) -> None:
    """What an export stopped by Ctrl+C leaves, in words: its files are put in place
    all together or not at all (``graph.place_files``), so either every one is new or none."""
    def named(files: list[Path]) -> str:
        return " and ".join(printable(str(file)) for file in files)

    kept = [file for file in planned if before[file] is not None]
    if all(file_identity(file) not in (None, before[file]) for file in planned):
        text = f"the {fmt} export was complete when it was stopped: {named(planned)} written"
    else:
        text = f"the {fmt} export was stopped before it was complete: nothing written" + (
            f"; {named(kept)} {'is' if len(kept) == 1 else 'are'} as before" if kept else "")
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):  # the terminal is gone
        pass


def read_weights(path: str) -> dict | None:
    """A ``.safetensors`` file's tensors (nothing is unpickled), or None after saying why."""
    try:
        from safetensors import SafetensorError
        from safetensors.torch import load_file
    except ImportError:  # pragma: no cover - a dependency
        print("error: reading weights needs the safetensors package", file=sys.stderr)
        return None
    try:
        return load_file(path)
    except FileNotFoundError:
        print(f"error: no weights file {printable(path)}", file=sys.stderr)
    except (SafetensorError, OSError, ValueError) as exc:
        print(f"error: {printable(path)} is not a readable safetensors file: "
              f"{printable(str(exc))}", file=sys.stderr)
    return None


def _db(args) -> Path | None:
    """The runs database: ``--db`` (deprecated) if given, else ``HOME/runs.db`` of ``--home``,
    else the usual one (None)."""
    if args.db:
        print("warning: --db is deprecated; use --home DIR (the folder holding runs.db)",
              file=sys.stderr)
        return Path(args.db)
    return Path(args.home) / "runs.db" if args.home else None


def _load_run(run_id: str, db: Path | None):
    try:
        from layerloom.runtime.export import run_export
    except ImportError:
        print(f"error: no file {run_id!r}, and this LayerLoom has no runs database to look up "
              f"run ids in", file=sys.stderr)
        return None
    try:
        return run_export(int(run_id), db)
    except Exception as exc:  # noqa: BLE001 - RunNotFound, TrainError, GraphError: say why
        text = str(exc)
        # the run named once: most runtime messages already begin "run 30 (failed) …"
        if not re.match(rf"(no )?run {int(run_id)}\b", text):
            text = f"run {run_id}: {text}"
        print(f"error: {text}", file=sys.stderr)
        return None
