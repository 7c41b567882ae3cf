"""``layerloom validate`` (optionally against a dataset) and ``layerloom summary``."""

from __future__ import annotations

import json
import sys

from layerloom.graph import summarize

from .common import (EXIT_INVALID, EXIT_UNREADABLE, add_set_option, error_code,
                     load_valid_graph, missing_data_file, places)
from .data_words import cli_words
from .design_stdin import shown


def register(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check a graph (and, with --dataset, that it "
                                               "fits the data); list every problem")
    p.add_argument("graph", help="graph JSON file (or a template's name; '-' reads it from "
                                 "stdin)")
    add_set_option(p)
    p.add_argument("--dataset", "-d", metavar="NAME_OR_FILE",
                   help="also check the design against this data (a built-in dataset's name or "
                        "a .csv/.tsv/.txt/.data/.dat/.xlsx/.parquet/.jsonl/.ndjson/.npz/.zip "
                        "file): input shape and "
                        "dtype, and the output the task needs")
    p.add_argument("--data-option", action="append", metavar="NAME=VALUE", default=[],
                   help="an option of the dataset (repeatable), e.g. target=price or length=64")
    p.add_argument("--task", default="auto",
                   choices=("auto", "classification", "regression", "reconstruction"),
                   help="the task to check the output for (default: as training picks it)")
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser("summary", help="per-node shapes, params and MACs of a graph")
    p.add_argument("graph", help="graph JSON file (or a template's name; '-' reads it from "
                                 "stdin)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_set_option(p)
    p.set_defaults(func=cmd_summary)


def cmd_validate(args) -> int:
    loaded = load_valid_graph(args.graph, args.set, templates=True)
    report = loaded.report
    if report is None:
        return loaded.code
    if not report.ok:
        print(f"{shown(args.graph)}: {len(report.errors)} error(s), "
              f"{len(report.warnings)} warning(s)")
        return loaded.code
    if not getattr(args, "dataset", None):
        print(f"{shown(args.graph)}: valid ({len(report.warnings)} warning(s))")
        return loaded.code
    return _validate_with_data(args, loaded)


def _validate_with_data(args, loaded) -> int:
    """The design against ``--dataset``: 0 when they fit, 1 with each problem (node and fix)
    on stderr, or data that is wrong (an unknown name or option, contents that are no
    dataset), 2 when the data file is not there or an option is malformed (as ``train``)."""
    from layerloom.runtime.data import DataError, load_dataset
    from layerloom.runtime.data.fit import check_fit
    from layerloom.runtime.data.for_design import design_input_shape, for_design

    if missing_data_file(args.dataset):
        print(f"error: {args.dataset}: no such file", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        options = {**parse_data_options(args.data_option), **text_options(args.data_option)}
        # read as training reads it for this design (an .npz of [N, H, W] images, Input [H, W])
        options = for_design(args.dataset, options,
                             design_input_shape(loaded.graph, loaded.variables))
        ds = load_dataset(args.dataset, **options)
    except DataError as exc:
        print(f"error: {cli_words(str(exc))}", file=sys.stderr)
        return error_code(exc)
    except ValueError as exc:  # --data-option without NAME=VALUE
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    fit = check_fit(loaded.graph, ds, loaded.variables, task=args.task)
    place = places(args.graph, loaded.graph) if fit.problems else None
    for problem in fit.problems:  # each with its node's place in the file, as a design's own
        print(f"error: {problem}{place(problem) if place else ''}", file=sys.stderr)
    for note in [*ds.meta.get("notes", ()), *fit.notes]:  # how the file was read; advice
        print(f"note: {cli_words(note)}", file=sys.stderr)
    if fit.problems:
        print(f"{shown(args.graph)}: valid, but does not fit {ds.name} ({fit.task}): "
              f"{len(fit.problems)} problem(s)")
        return EXIT_INVALID
    what = (f"{len(ds.classes)} classes" if fit.task == "classification"
            else "its input" if fit.task == "reconstruction"
            else f"{ds.target_dim or 1} target value(s)")
    print(f"{shown(args.graph)}: valid and fits {ds.name}: input {list(ds.input_shape)} "
          f"{ds.dtype}, "
          f"{fit.task} output for {what}")
    return 0


def parse_data_options(items: list[str] | None) -> dict:
    """``["target=price", "length=64", "drop=[\"id\"]"]`` → options: a value is read as JSON
    (numbers, true/false, lists), else as a Python literal as the messages and the Python API
    write them (``drop=['id']``, ``image_size=(32, 24)``; literals only, nothing evaluated),
    and otherwise taken as text. ``drop`` given more than once drops every column named."""
    import ast

    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--data-option expects NAME=VALUE, got {item!r}")
        if name.strip() == "drop" and "drop" in out:  # drop=a and drop=b, as the advice says
            earlier = out.pop("drop")
            later = parse_data_options([item])["drop"]
            out["drop"] = [*([earlier] if isinstance(earlier, str) else earlier),
                           *([later] if isinstance(later, str) else later)]
            continue
        try:
            out[name.strip()] = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: [[[[… nested past Python's stack
            try:
                literal = ast.literal_eval(value.strip()) if len(value) < 10_000 else None
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                literal = None
            out[name.strip()] = literal if isinstance(literal, (list, tuple, int, float)) \
                and not isinstance(literal, bool) else value
    return out


def text_options(items: list[str] | None) -> dict:
    """The data options among ``items`` whose values are names (``target``, ``sheet``,
    ``text_column``), as written: a column named ``1.5``, ``007`` or ``1e3`` is found by its
    name, which reading the value as a number lost (``option 'target' must be text, got
    1.5``; ``007`` looked for a column ``7``). A JSON string (``target='"1.5"'``) is its
    text.

    >>> text_options(["target=007", "length=64", 'sheet="2024"'])
    {'target': '007', 'sheet': '2024'}
    """
    from layerloom.runtime.data import list_file_kinds
    from layerloom.runtime.data.folder import describe_folder_kind

    named = {option["name"] for kind in [*list_file_kinds(), describe_folder_kind()]
             for option in kind["options"] if option["kind"] == "str"}
    out = {}
    for item in items or []:
        name, _, value = item.partition("=")
        if name.strip() in named:
            try:
                text = json.loads(value)
            except (ValueError, RecursionError):
                text = None
            out[name.strip()] = text if isinstance(text, str) else value
    return out


def cmd_summary(args) -> int:
    # --json prints the object alone: the warnings of a valid graph stay off stderr too.
    loaded = load_valid_graph(args.graph, args.set, templates=True, warnings=not args.json)
    if loaded.code:
        return loaded.code
    summary = summarize(loaded.report)
    print(json.dumps(summary.to_dict()) if args.json else summary.table())
    return 0
