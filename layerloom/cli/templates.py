"""``layerloom templates`` (list the starter graphs) and ``layerloom new`` (copy one to edit)."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from layerloom.graph import GraphError
from layerloom.graph.templates import list_templates, template_text

from .common import EXIT_INVALID, EXIT_UNREADABLE, file_problem


def register(subparsers) -> None:
    p = subparsers.add_parser("templates", help="list the starter graphs (layerloom new copies "
                                                "one)")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=cmd_templates)

    p = subparsers.add_parser("new", help="start a graph file from a template")
    # the name as the first word (`layerloom new seed-cnn`), as most tools' `new` takes it, or
    # with --template as the README writes it
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="template name (see `layerloom templates`)")
    p.add_argument("--template", "-t", metavar="NAME", help="the same, as an option")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="file to write (default: NAME.json; '-' prints it)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=cmd_new, usage_error=p.error)


def cmd_templates(args) -> int:
    entries = list_templates()
    if args.json:
        print(json.dumps(entries))
        return 0
    print(_table(entries, shutil.get_terminal_size((120, 24)).columns))
    return 0


def cmd_new(args) -> int:
    if args.name and args.template and args.name != args.template:
        args.usage_error(f"two templates named: '{args.name}' and --template "
                         f"'{args.template}'; give one")
    args.template = args.template or args.name
    if not args.template:
        args.usage_error("name a template: layerloom new NAME, or --template NAME "
                         "(`layerloom templates` lists them)")
    try:
        text = template_text(args.template)
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output or f"{args.template}.json")
    if path.is_dir():
        print(f"error: {path} is a folder; give the name of a file to write, e.g. "
              f"{path / args.template}.json", file=sys.stderr)
        return EXIT_UNREADABLE
    if path.exists() and not args.force:
        print(f"error: {path} already exists; choose another file with -o, or add --force to "
              f"overwrite it", file=sys.stderr)
        return EXIT_INVALID
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: {file_problem(exc, path)}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"wrote {path} from template '{args.template}'; check it with "
          f"`layerloom summary {shlex.quote(str(path))}`")
    return 0


def _table(entries: list[dict], columns: int) -> str:
    rows = [(e["name"], e["task"], f"{e['params']:,}",
             f"{_shapes(e['inputs'])} → {_shapes(e['outputs'])}", _lead(e["description"]))
            for e in entries]
    head = ("name", "task", "params", "input → output", "description")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    room = max(16, columns - sum(widths) - 2 * 4)
    fmt = "  ".join(f"{{:{'>' if i == 2 else '<'}{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head[:4]) + "  " + head[4],
             "  ".join("-" * w for w in widths) + "  " + "-" * min(room, 11)]
    lines += [fmt.format(*r[:4]) + "  " + _clip(r[4], room) for r in rows]
    return "\n".join(lines)


def _shapes(shapes: list[list[int]]) -> str:
    return ", ".join("[" + ", ".join(str(d) for d in s) + "]" for s in shapes)


def _lead(description: str) -> str:
    """The description up to its first colon: templates open with a one-line summary."""
    return description.split(": ", 1)[0]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"
