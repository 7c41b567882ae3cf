"""``layerloom export GRAPH|RUN_ID --format project -o DIR``: the export command's branch for a
training project (``layerloom.runtime.export_project``), called by ``cli/export.py``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .common import (EXIT_INVALID, EXIT_UNREADABLE, error_code, file_problem, parse_variables,
                     read_graph_or_code)
from .export import file_identity
from .data_words import cli_words
from .design_stdin import shown


def cmd_export_project(args, db: Path | None = None) -> int:
    """Write the project; an exit code. A graph (file or template name) trains on ``--data``
    (default: the dataset the graph names) with ``--config``; a run id brings its own dataset,
    settings, trained weights and checkpoint from ``db`` (None: the usual database)."""
    from layerloom.runtime.export_project import export_project, export_run_project

    from .export import read_weights, slug

    output = before = None
    try:
        if Path(args.source).exists() or not args.source.isdigit():
            graph, code = read_graph_or_code(args.source, templates=True)
            if graph is None:
                return code
            data = args.data or graph.extra.get("dataset")
            if not data:
                print(f"error: {graph.name or shown(args.source)} names no dataset; give one with "
                      f"--data (a built-in name or a file)", file=sys.stderr)
                return EXIT_INVALID
            weights = getattr(args, "weights", None)
            if weights and read_weights(weights) is None:  # said why
                return EXIT_UNREADABLE
            output = Path(args.output or f"{slug(graph.name)}-project")
            before = file_identity(output)
            result = export_project(graph, data, output, args.config,
                                    variables=parse_variables(args.set) or None,
                                    overwrite=args.force, init_weights=weights or None)
        elif getattr(args, "weights", None):
            print("error: --weights goes with a GRAPH file; a run's project starts from the "
                  "run's own weights", file=sys.stderr)
            return EXIT_INVALID
        else:
            output = Path(args.output or f"run{args.source}-project")
            before = file_identity(output)
            result = export_run_project(int(args.source), output, db, overwrite=args.force)
    except KeyboardInterrupt:  # Ctrl+C, SIGTERM, SIGHUP: the old folder is kept whole
        if output is not None:
            _say_interrupted(output, before)
        raise
    except Exception as exc:  # noqa: BLE001 - ProjectError, DataError, ConfigError, GraphError,
        # RunNotFound: each in words; a folder that cannot be written as for every format
        # (it said "[Errno 13] Permission denied: 'out'")
        text = (file_problem(exc) if isinstance(exc, OSError) and exc.filename is not None
                else cli_words(str(exc)))
        print(f"error: {text}", file=sys.stderr)
        return error_code(exc)
    print(f"wrote {result.describe()}")
    for note in result.notes:
        print(f"  note: {note}")
    # quoted for the shell: a folder named "my project" is one word to cd
    print(f"  run it: cd {shlex.quote(str(result.path))} && python train.py   (see README.md "
          f"there)")
    return 0


def _say_interrupted(output: Path, before) -> None:
    """What a project export stopped on the way leaves: the finished folder takes the old
    one's place in one move (``runtime.export_project``), so either it is there whole or the
    old folder (if any) is as it was."""
    if file_identity(output) not in (None, before):
        text = f"the project export was complete when it was stopped: {output} written"
    else:
        text = "the project export was stopped before it was complete: nothing written" + (
            f"; {output} is as before" if before is not None else "")
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):  # the terminal is gone
        pass
