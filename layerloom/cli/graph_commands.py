"""``layerloom validate`` and ``layerloom summary``."""

from __future__ import annotations

import json

from layerloom.graph import summarize

from .common import add_set_option, load_valid_graph


def register(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check a graph; list every problem")
    p.add_argument("graph", help="graph JSON file")
    add_set_option(p)
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser("summary", help="per-node shapes, params and MACs of a graph")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_set_option(p)
    p.set_defaults(func=cmd_summary)


def cmd_validate(args) -> int:
    loaded = load_valid_graph(args.graph, args.set)
    report = loaded.report
    if report is None:
        return loaded.code
    if report.ok:
        print(f"{args.graph}: valid ({len(report.warnings)} warning(s))")
    else:
        print(f"{args.graph}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    return loaded.code


def cmd_summary(args) -> int:
    # --json prints the object alone: the warnings of a valid graph stay off stderr too.
    loaded = load_valid_graph(args.graph, args.set, warnings=not args.json)
    if loaded.code:
        return loaded.code
    summary = summarize(loaded.report)
    print(json.dumps(summary.to_dict()) if args.json else summary.table())
    return 0
