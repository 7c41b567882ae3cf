"""``layerloom codegen GRAPH -o model.py``: the graph as a standalone PyTorch module."""

from __future__ import annotations

import sys
from pathlib import Path

from layerloom.graph import GraphError, summarize

from .common import (EXIT_INVALID, EXIT_UNREADABLE, add_set_option, file_problem,
                     load_valid_graph)


def register(subparsers) -> None:
    p = subparsers.add_parser("codegen", help="write a graph as a standalone PyTorch module")
    p.add_argument("graph", help="graph JSON file (or a template's name)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the module (default: print it)")
    p.add_argument("--class-name", metavar="NAME",
                   help="name of the model class (default: from the graph's name)")
    add_set_option(p)
    p.set_defaults(func=cmd_codegen)


def cmd_codegen(args) -> int:
    from layerloom.graph import generate_code  # imports torch: only for this command

    loaded = load_valid_graph(args.graph, args.set, templates=True)
    if loaded.code:
        return loaded.code
    graph, report = loaded.graph, loaded.report
    try:
        source = generate_code(graph, loaded.variables, class_name=args.class_name)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not args.output:
        sys.stdout.write(source)
        return 0
    try:
        Path(args.output).write_text(source, encoding="utf-8")
    except OSError as exc:
        print(f"error: {file_problem(exc, args.output)}", file=sys.stderr)
        return EXIT_UNREADABLE
    params = summarize(report).params
    print(f"{args.output}: {graph.name!r} as PyTorch code ({params:,} parameters)")
    return 0
