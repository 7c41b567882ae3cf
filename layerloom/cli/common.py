"""Helpers shared by the CLI commands: reading and validating a graph with clear errors,
printing problems, the ``--set`` option."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from layerloom.graph import Graph, GraphError, Report, load_graph, validate
from layerloom.graph.templates import load_template, template_names

EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def add_set_option(parser) -> None:
    """``--set NAME=VALUE`` (repeatable), read with :func:`parse_variables`."""
    parser.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help="override a graph variable (repeatable)")


def read_graph(path: str, *, templates: bool = False) -> Graph | None:
    """The graph at ``path``, or None after printing why it cannot be read.

    With ``templates``, as :func:`load_graph_or_template`.
    """
    try:
        return load_graph_or_template(path) if templates else load_graph(path)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def load_graph_or_template(path: str) -> Graph:
    """The graph file at ``path`` or, where there is no such file, the shipped template of that
    name (``seed-cnn``; a name ending in ``.json`` is always a file); GraphError otherwise."""
    if Path(path).exists():
        return load_graph(path)
    if not path.endswith(".json") and path in template_names():
        return load_template(path)
    # Said here: load_graph would read a missing path that starts with "{" as JSON text.
    raise GraphError("no such file", file=path)


@dataclass(frozen=True)
class LoadedGraph:
    """What :func:`load_valid_graph` found. ``code`` is the command's exit code so far: 0 when
    the graph is valid, ``EXIT_INVALID`` when it has errors, ``EXIT_UNREADABLE`` when it could
    not be read (then ``graph`` and ``report`` are None)."""

    code: int
    graph: Graph | None = None
    variables: dict = field(default_factory=dict)
    report: Report | None = None


def load_valid_graph(path: str, set_items: list[str] | None, *, templates: bool = False,
                     warnings: bool = True) -> LoadedGraph:
    """Read the graph at ``path``, validate it with the ``--set`` overrides ``set_items`` and
    print its problems on stderr: always when it has errors, and its warnings when it is valid
    only if ``warnings``. ``templates`` as in :func:`read_graph`. In a command::

        loaded = load_valid_graph(args.graph, args.set)
        if loaded.code:
            return loaded.code
    """
    graph = read_graph(path, templates=templates)
    if graph is None:
        return LoadedGraph(EXIT_UNREADABLE)
    variables = parse_variables(set_items)  # after reading: a missing file is said first
    report = validate(graph, variables)
    if warnings or not report.ok:
        print_problems(report)
    return LoadedGraph(0 if report.ok else EXIT_INVALID, graph, variables, report)


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
