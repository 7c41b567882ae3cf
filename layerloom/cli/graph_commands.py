"""``layerloom validate`` and ``layerloom summary``."""

from __future__ import annotations

import json

from layerloom.graph import summarize, validate

from .common import EXIT_INVALID, EXIT_UNREADABLE, parse_variables, print_problems, read_graph


def register(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check a graph; list every problem")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a graph variable (repeatable)")
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser("summary", help="per-node shapes, params and MACs of a graph")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a graph variable (repeatable)")
    p.set_defaults(func=cmd_summary)


def cmd_validate(args) -> int:
    graph = read_graph(args.graph)
    if graph is None:
        return EXIT_UNREADABLE
    report = validate(graph, parse_variables(args.set))
    print_problems(report)
    if not report.ok:
        print(f"{args.graph}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        return EXIT_INVALID
    print(f"{args.graph}: valid ({len(report.warnings)} warning(s))")
    return 0


def cmd_summary(args) -> int:
    graph = read_graph(args.graph)
    if graph is None:
        return EXIT_UNREADABLE
    report = validate(graph, parse_variables(args.set))
    if not report.ok:
        print_problems(report)
        return EXIT_INVALID
    summary = summarize(report)
    if args.json:
        print(json.dumps(summary.to_dict()))
    else:
        print_problems(report)
        print(summary.table())
    return 0
