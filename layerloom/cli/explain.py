"""``layerloom explain RUN_ID --input FILE``: why a trained run's model decides as it does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import (EMPTY_NAME, EXIT_INVALID, EXIT_UNREADABLE, missing_folder, printable,
                     unusable_home)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "explain", help="explain a trained run's decision for one input (Grad-CAM, IG)",
        description="Explain which parts of an input made a trained classifier give a class: "
                    "Grad-CAM or Integrated Gradients for images, token attributions for "
                    "texts, feature attributions for tables.")
    p.add_argument("run", type=int, metavar="RUN_ID", help="a run of the runs database")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="an image, a .txt text, a table's first row (.csv, .tsv, .xlsx, .parquet, "
                        ".jsonl…, as the data were read) or a .npy sample")
    p.add_argument("--class", dest="target", metavar="C",
                   help="the class to explain, by name or index (default: the predicted one)")
    p.add_argument("--method", choices=("auto", "gradcam", "ig", "smoothgrad"), default="auto",
                   help="auto: Grad-CAM for convolutional image models, Integrated Gradients "
                        "otherwise")
    p.add_argument("--layer", metavar="BLOCK",
                   help="Grad-CAM's block, e.g. conv2 (default: the last convolutional block)")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="write the map over the image as a PNG (image models)")
    p.add_argument("--heatmap", metavar="NPY",
                   help="write the map at the input's resolution as a NumPy .npy file")
    p.add_argument("--json", action="store_true",
                   help="print the class explained, its probability, the method and the peak")
    p.add_argument("--home", metavar="DIR",
                   help="LayerLoom home holding runs.db (default: $LAYERLOOM_HOME or "
                        "~/.layerloom)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args) -> int:
    import numpy as np

    from layerloom.runtime import ExplainError, RunNotFound, RunStore, default_db
    from layerloom.runtime.attributions import overlay
    from layerloom.runtime.explain_run import class_index, load_run, read_input, shown_input

    for out, example in ((args.output, "why.png"), (args.heatmap, "why.npy")):
        if out and Path(out).is_dir():  # said before the work, not after it
            print(f"error: {printable(out)} is a folder; give the path of a file, such as "
                  f"{printable(Path(out) / example)}", file=sys.stderr)
            return EXIT_INVALID
        if missing_folder(out):
            print(f"error: {printable(missing_folder(out))}", file=sys.stderr)
            return EXIT_UNREADABLE
        if out and Path(out).exists() and not args.force:
            print(f"error: {printable(out)} exists; add --force to overwrite it",
                  file=sys.stderr)
            return EXIT_INVALID
    problem = unusable_home(args.home, writable=False)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_UNREADABLE
    if not args.input.strip():
        print(f"error: --input: {EMPTY_NAME}: give the input to explain, such as digit.png",
              file=sys.stderr)
        return EXIT_UNREADABLE
    if not Path(args.input).is_file():  # a file that cannot be opened: 2, as in every command
        why = "is a folder, not a file" if Path(args.input).is_dir() else "no such file"
        print(f"error: {printable(args.input)}: {why}", file=sys.stderr)
        return EXIT_UNREADABLE
    store = RunStore(Path(args.home) / "runs.db" if args.home else default_db())
    try:
        trained = load_run(args.run, store)
        ds = trained.dataset
        if not ds.classes:
            raise ExplainError(f"run {args.run} learned {ds.task}; explanations are for "
                               f"classifiers")
        notes: list[str] = []  # how the input was read to suit the model (scaled, an axis)
        x = read_input(args.input, ds, notes)
        for note in notes:
            print(f"note: {printable(note)}", file=sys.stderr)
        from layerloom.runtime import explain_sample

        exp = explain_sample(trained.module, x, target=class_index(args.target, ds.classes),
                             method=args.method, layer=args.layer, head=trained.head,
                             classes=ds.classes, vocab=ds.vocab)
    except RunNotFound as exc:  # wrong input, as for runs show, resume and export
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ExplainError as exc:  # a file that cannot be read as what it is named: 2
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_UNREADABLE if exc.unreadable else EXIT_INVALID
    if args.output:
        if exp.kind != "image":
            print("error: -o draws the map over an image; this model takes "
                  f"{exp.kind} inputs (use --heatmap or --json)", file=sys.stderr)
            return EXIT_INVALID
        from PIL import Image

        Image.fromarray(overlay(shown_input(x, ds), exp.heatmap)).save(args.output)
    if args.heatmap:
        np.save(args.heatmap, exp.heatmap, allow_pickle=False)
    if args.json:
        print(json.dumps(exp.to_dict()))
        return 0
    name = f"{exp.target} ({exp.label})" if exp.label is not None else str(exp.target)
    print(f"run {args.run}: class {printable(name)} with probability {exp.probability:.3f} "
          f"(predicted {ds.classes[exp.predicted] if ds.classes else exp.predicted}), "
          f"explained by {exp.method}" + (f" at {exp.layer}" if exp.layer else ""))
    where = exp.peak
    if exp.kind == "image":
        print(f"the map peaks at row {where[0]}, column {where[1]}")
    elif exp.tokens is not None:
        from layerloom.runtime.data.text import PAD

        # the padding after a short text is no word of it
        top = [i for i in np.argsort(-exp.heatmap) if exp.tokens[i] != PAD][:5]
        print("tokens that count most: " + ", ".join(
            f"{printable(exp.tokens[i])} ({exp.heatmap[i]:+.3f})" for i in top))
    else:
        from layerloom.runtime.data.preprocessing import row_names

        names = row_names(ds) if exp.kind == "tabular" else []
        top = names[where[0]] if where[0] < len(names) else f"#{where[0]}"
        print(f"the {'feature' if exp.kind == 'tabular' else 'time step'} that counts most: "
              f"{printable(top)}")
    for path in (args.output, args.heatmap):
        if path:
            print(f"wrote {printable(path)}")
    return 0
