"""``layerloom codegen GRAPH -o model.py``: the graph as a standalone PyTorch module."""

from __future__ import annotations

import sys
from pathlib import Path

from layerloom.graph import GraphError, generate_code, summarize, validate

from .common import EXIT_INVALID, EXIT_UNREADABLE, parse_variables, print_problems, read_graph


def register(subparsers) -> None:
    p = subparsers.add_parser("codegen", help="write a graph as a standalone PyTorch module")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the module (default: print it)")
    p.add_argument("--class-name", metavar="NAME",
                   help="name of the model class (default: from the graph's name)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a graph variable (repeatable)")
    p.set_defaults(func=cmd_codegen)


def cmd_codegen(args) -> int:
    graph = read_graph(args.graph)
    if graph is None:
        return EXIT_UNREADABLE
    report = validate(graph, parse_variables(args.set))
    print_problems(report)
    if not report.ok:
        return EXIT_INVALID
    try:
        source = generate_code(graph, parse_variables(args.set), class_name=args.class_name)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not args.output:
        sys.stdout.write(source)
        return 0
    try:
        Path(args.output).write_text(source, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    params = summarize(report).params
    print(f"{args.output}: {graph.name!r} as PyTorch code ({params:,} parameters)")
    return 0
