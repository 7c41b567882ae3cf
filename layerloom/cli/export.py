"""``layerloom export GRAPH|RUN_ID --format F -o PATH``.

A graph file is exported with fresh weights (from ``--seed``); a run id (of the runs database)
with the run's trained weights, and for a bundle its config, metrics, curves and data. Every
file is loaded back and compared with the model before it is kept; the command prints that
check's result and the file's size.
"""

from __future__ import annotations

import sys
from pathlib import Path

from layerloom.graph import GraphError
from layerloom.graph.summary import format_bytes

from .common import EXIT_INVALID, EXIT_UNREADABLE, add_set_option, parse_variables, read_graph

FORMATS = ("json", "python", "torchscript", "onnx", "safetensors", "bundle")
SUFFIX = {"json": ".json", "python": ".py", "torchscript": ".pt", "onnx": ".onnx",
          "safetensors": ".safetensors", "bundle": ".zip"}


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export a graph or a trained run (checked after "
                                              "writing)")
    p.add_argument("source", metavar="GRAPH|RUN_ID",
                   help="a graph JSON file (fresh weights) or a run id (trained weights)")
    p.add_argument("--format", "-f", required=True, choices=FORMATS)
    p.add_argument("-o", "--output", metavar="PATH",
                   help="file to write (default: the graph's name with the format's suffix)")
    p.add_argument("--seed", type=int, default=0, help="seed of fresh weights (default 0)")
    add_set_option(p)
    p.add_argument("--db", metavar="RUNS.db", help="runs database (default: the usual one)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from layerloom.graph.export import ExportError, export_model

    run = None
    if Path(args.source).exists() or not args.source.isdigit():
        graph = read_graph(args.source)
        if graph is None:
            return EXIT_UNREADABLE
    else:
        loaded = _load_run(args.source, args.db)
        if loaded is None:
            return EXIT_UNREADABLE
        graph, run = loaded
    output = Path(args.output or f"{graph.name or 'model'}{SUFFIX[args.format]}")
    try:
        result = export_model(graph, args.format, output, run=run, seed=args.seed,
                              variables=parse_variables(args.set))
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    weights = "trained weights of run " + str(run.run_id) if run is not None else \
        f"fresh weights (seed {args.seed})"
    print(f"wrote {', '.join(str(f) for f in result.files)} ({args.format}, {weights})")
    for part, diff in result.notes.get("parts", {}).items():
        print(f"  {part}: loaded back, max abs diff {diff:.2e}")
    for part, reason in result.notes.get("skipped", {}).items():
        print(f"  {part}: left out: {reason}")
    print(f"verified: max abs diff {result.max_abs_diff:.2e}; size {format_bytes(result.bytes)}; "
          f"{result.seconds:.2f} s")
    return 0


def _load_run(run_id: str, db: str | None):
    try:
        from layerloom.runtime.export import run_export
    except ImportError:
        print(f"error: no file {run_id!r}, and this LayerLoom has no runs database to look up "
              f"run ids in", file=sys.stderr)
        return None
    try:
        return run_export(int(run_id), db)
    except Exception as exc:  # noqa: BLE001 - RunNotFound, TrainError, GraphError: say why
        print(f"error: run {run_id}: {exc}", file=sys.stderr)
        return None
