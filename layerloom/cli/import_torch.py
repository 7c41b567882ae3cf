"""``layerloom import-torch MODULE:CALLABLE --input-shape 3,224,224 -o graph.json``.

The model is the user's own code, imported by name (from the current folder or ``sys.path``) and
built by calling CALLABLE without arguments; nothing is unpickled. With ``--weights`` its weights
are written as safetensors keyed for the compiled graph, and checked: the compiled graph with
them gives the model's outputs, at the traced size and at one other where the model runs (a
difference there is a warning, naming the first block that differs).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from layerloom.graph import GraphError, save_graph
from layerloom.graph.place_files import place_together

from .common import (EXIT_INVALID, EXIT_UNREADABLE, file_problem, graph_error_code,
                     missing_folder, print_error)


def register(subparsers) -> None:
    p = subparsers.add_parser("import-torch", help="trace a PyTorch model into an editable graph")
    p.add_argument("callable", metavar="MODULE:CALLABLE",
                   help="a module or a function returning one, e.g. mymodels:TinyNet or "
                        "mymodels.py:TinyNet (a file alone: its one nn.Module class)")
    p.add_argument("--input-shape", action="append", required=True, metavar="C,H,W",
                   help="input shape without the batch, e.g. 3,224,224 (once per input; [] "
                        "for one id per sample, a class label, with --dtype int64)")
    p.add_argument("--dtype", action="append", choices=("float32", "int64"),
                   help="input dtype (int64 for token ids); once per input, default float32")
    p.add_argument("-o", "--output", required=True, metavar="GRAPH.json",
                   help="graph to write ('-' prints it)")
    p.add_argument("--weights", metavar="FILE.safetensors",
                   help="also write the model's weights, keyed for the compiled graph")
    p.add_argument("--name", help="graph name (default: the model's class name)")
    p.add_argument("--untie", action="store_true",
                   help="import tied weights (one parameter of two layers, as GPT-2's output "
                        "head and embedding) as a copy for each layer, which then train apart "
                        "(without it they are refused)")
    add_force(p)
    p.set_defaults(func=cmd_import_torch)
    from .import_onnx import register as register_onnx

    register_onnx(subparsers)  # import-onnx: the ONNX file goes through the same importer


def cmd_import_torch(args) -> int:
    from layerloom.graph.compile import compile_graph
    from layerloom.graph.import_torch import (check_import, import_torch, instantiate,
                                              load_callable)
    from layerloom.graph.import_torch.other_size import check_other_size
    from layerloom.graph.import_torch.trace import without_fx_notes
    from layerloom.graph.import_torch.training import import_warnings

    if refuse_existing(args):
        return EXIT_INVALID
    if missing_folder(args.output, args.weights):
        print(f"error: {missing_folder(args.output, args.weights)}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        shapes = [_parse_shape(text) for text in args.input_shape]
        dtypes = args.dtype or ["float32"] * len(shapes)
        if len(dtypes) != len(shapes):
            raise GraphError(f"{len(shapes)} --input-shape but {len(dtypes)} --dtype")
        model = instantiate(load_callable(args.callable))
        with import_warnings() as said:
            graph, weights = import_torch(model, shapes, dtypes, name=args.name,
                                          untie=args.untie)
            state = weights.apply(model.state_dict())
            compiled = compile_graph(graph)  # one compile for both checks
            diff = check_import(model, graph, state, shapes, dtypes, weights=weights,
                                compiled=compiled)
            sizes = check_other_size(model, graph, state, shapes, dtypes, compiled=compiled)
    except GraphError as exc:
        print_error(exc, without_fx_notes(str(exc)), debug=getattr(args, "debug", False))
        return graph_error_code(exc)  # 2 for a model file that cannot be read
    also = "" if sizes.shapes is None or sizes.warning else \
        f", and at input {' and '.join(str(list(s)) for s in sizes.shapes)} too"
    if sizes.warning:  # a design for one size may be meant so: not an error
        said.append(f"warning: {sizes.warning}")
    return write_import(args, graph, state, f"{type(model).__name__}; compiled graph matches "
                        f"the model (max abs diff {diff:.2e}){also}", said)


def add_force(p) -> None:
    p.add_argument("--force", action="store_true",
                   help="overwrite the graph (and weights) file if it exists")


def refuse_existing(args) -> bool:
    """Whether a file the import would write is there already without ``--force``: said, before
    the import's work, as ``layerloom new`` and ``export`` say it."""
    if args.output and args.weights and \
            Path(args.output).resolve() == Path(args.weights).resolve():
        print(f"error: -o and --weights name the same file ({args.output}): the weights would "
              f"be written over the graph; give the weights their own file (e.g. "
              f"{Path(args.output).with_suffix('.safetensors').name})", file=sys.stderr)
        return True
    for path in (args.output, args.weights):
        if path and Path(path).exists() and not args.force:
            print(f"error: {path} already exists; choose another file, or add --force to "
                  f"overwrite it", file=sys.stderr)
            return True
    return False


def write_import(args, graph, state, what: str, said: list[str] = ()) -> int:
    """Write an imported graph to ``args.output`` (and its weights to ``args.weights``) and say
    so, then the import's warnings and notes (``said``, on stderr); the exit code. ``what``:
    where the blocks came from and how they were checked. The two files are put in place
    together or not at all (``graph.place_files``): an import stopped half-way (Ctrl+C) never
    leaves the new design beside the weights of an older one."""
    printed = args.output == "-"  # the design on stdout, as new and codegen print theirs
    targets = ([] if printed else [Path(args.output)]) + (
        [Path(args.weights)] if args.weights else [])
    writing = targets[0] if targets else None
    folders: dict[Path, Path] = {}
    try:
        moves = []
        for target in targets:
            writing = target
            parent = target.parent if str(target.parent) else Path(".")
            if parent not in folders:
                folders[parent] = Path(tempfile.mkdtemp(prefix=".layerloom-import-", dir=parent))
            written = folders[parent] / f"{len(moves)}-{target.name}"
            if target == targets[0] and not printed:
                save_graph(graph, written)
            else:
                _save_weights(state, written)
            moves.append((written, target))
        if moves:
            place_together(moves, Path(tempfile.mkdtemp(dir=next(iter(folders.values())))))
    except OSError as exc:  # named as given, not as the temporary file written first
        failed = next((t for t in targets if str(t) == str(getattr(exc, "filename2", ""))),
                      writing)
        print(f"error: {file_problem(exc, str(failed))}", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
    blocks = sum(n.type not in ("Input", "Output") for n in graph.nodes)
    if printed:  # it wrote a file named "-"; what was done goes to stderr, beside the design
        from layerloom.graph import dumps_graph

        sys.stdout.write(dumps_graph(graph))
    said_to = sys.stderr if printed else sys.stdout
    print(f"{'the design (stdout)' if printed else args.output}: {blocks} blocks from {what}",
          file=said_to)
    if args.weights:
        print(f"{args.weights}: {len(state)} tensors", file=said_to)
    for line in said:
        print(line, file=sys.stderr)
    return 0


def _parse_shape(text: str) -> list[int]:
    """``3,224,224`` (or ``3x224x224``) as sizes; every part a whole number, none left out,
    and one sample (traced at a few samples) within the model memory budget. ``[]`` is one
    value per sample (a conditional GAN's class label, ``[B]``)."""
    from math import prod

    if text.strip() == "[]":
        return []
    from layerloom.graph.limits import Limits, hint, size_words

    parts = [part.strip() for part in re.split(r"[,x×]", text.strip().lower())]
    if not text.strip() or not all(part.isdigit() for part in parts):
        bad = next((p for p in parts if not p.isdigit()), "")
        negative = bad.startswith("-") and bad[1:].isdigit()
        what = (f"{bad!r} is not a size (sizes are 1 or more)" if negative else
                f"{bad!r} is not a whole number" if bad else
                f"a size is missing: {text.strip()!r} starts or ends with a separator"
                if text.strip() and re.search(r"[,x×]\s*$|^\s*[,x×]", text.strip().lower())
                else "a size is missing between two separators" if text.strip()
                else "there is no size")
        raise GraphError(f"--input-shape expects whole numbers such as 3,224,224; in {text!r} "
                         f"{what}")
    shape = [int(part) for part in parts]
    if min(shape) < 1:
        raise GraphError(f"--input-shape expects positive sizes, got {text!r}")
    from layerloom.graph.import_torch.trace import BATCH  # the samples a trace runs

    most = Limits.from_env().max_model_bytes
    need = prod(shape) * 4 * BATCH
    if need > most:
        raise GraphError(f"--input-shape {text}: the {BATCH} samples traced take "
                         f"{size_words(need)}, over the model memory budget of "
                         f"{size_words(most)} ({hint('max_model_bytes')})")
    return shape


def _save_weights(state: dict, path: Path) -> None:
    from safetensors.torch import save_file

    save_file(state, str(path))
