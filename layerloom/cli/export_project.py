"""``layerloom export GRAPH|RUN_ID --format project -o DIR``: the export command's branch for a
training project (``layerloom.runtime.export_project``), called by ``cli/export.py``."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import EXIT_INVALID, EXIT_UNREADABLE, parse_variables, read_graph_or_code
from .data_words import cli_words


def cmd_export_project(args, db: Path | None = None) -> int:
    """Write the project; an exit code. A graph (file or template name) trains on ``--data``
    (default: the dataset the graph names) with ``--config``; a run id brings its own dataset,
    settings, trained weights and checkpoint from ``db`` (None: the usual database)."""
    from layerloom.runtime.export_project import export_project, export_run_project

    from .export import read_weights, slug

    try:
        if Path(args.source).exists() or not args.source.isdigit():
            graph, code = read_graph_or_code(args.source, templates=True)
            if graph is None:
                return code
            data = args.data or graph.extra.get("dataset")
            if not data:
                print(f"error: {graph.name or args.source} names no dataset; give one with "
                      f"--data (a built-in name or a file)", file=sys.stderr)
                return EXIT_INVALID
            weights = getattr(args, "weights", None)
            if weights and read_weights(weights) is None:  # said why
                return EXIT_UNREADABLE
            output = Path(args.output or f"{slug(graph.name)}-project")
            result = export_project(graph, data, output, args.config,
                                    variables=parse_variables(args.set) or None,
                                    overwrite=args.force, init_weights=weights or None)
        elif getattr(args, "weights", None):
            print("error: --weights goes with a GRAPH file; a run's project starts from the "
                  "run's own weights", file=sys.stderr)
            return EXIT_INVALID
        else:
            output = Path(args.output or f"run{args.source}-project")
            result = export_run_project(int(args.source), output, db, overwrite=args.force)
    except Exception as exc:  # noqa: BLE001 - ProjectError, DataError, ConfigError, GraphError,
        print(f"error: {cli_words(str(exc))}", file=sys.stderr)  # RunNotFound: each in words
        return EXIT_INVALID
    print(f"wrote {result.describe()}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"  run it: cd {result.path} && python train.py   (see README.md there)")
    return 0
