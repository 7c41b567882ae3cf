"""Helpers shared by the CLI commands: reading a graph with clear errors, printing problems."""

from __future__ import annotations

import sys

from layerloom.graph import Graph, GraphError, load_graph

EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def read_graph(path: str) -> Graph | None:
    """The graph at ``path``, or None after printing why it cannot be read."""
    try:
        return load_graph(path)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def print_problems(report) -> None:
    for problem in report.errors:
        print(f"error: {problem}", file=sys.stderr)
    for problem in report.warnings:
        print(f"warning: {problem}", file=sys.stderr)


def parse_variables(items: list[str] | None) -> dict:
    """``["width=2", "depth=1.5"]`` → ``{"width": 2, "depth": 1.5}``."""
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"error: --set expects NAME=NUMBER, got {item!r}")
        try:
            number = float(value)
        except ValueError:
            raise SystemExit(f"error: --set {name}: {value!r} is not a number") from None
        out[name.strip()] = int(number) if number.is_integer() else number
    return out
