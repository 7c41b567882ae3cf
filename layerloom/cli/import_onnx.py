"""``layerloom import-onnx model.onnx -o graph.json [--weights out.safetensors]``.

The ONNX file (a protobuf message: nothing is unpickled) becomes an editable graph through the
torch importer; the compiled graph with the file's weights is checked against onnxruntime
running the file itself.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from layerloom.graph import GraphError

from .common import EMPTY_NAME, EXIT_INVALID, EXIT_UNREADABLE, missing_folder, print_error


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import-onnx", help="turn an ONNX model into an editable graph",
        description="Turn an ONNX model into an editable graph, checked against onnxruntime "
                    "running the file. Files of torch.onnx.export at opsets 13-20 are tested "
                    "(convolutional, recurrent and Transformer models: LSTM/GRU/RNN, attention, "
                    "LayerNorm); opsets 7-21 are accepted. A file exported with a fixed batch (no "
                    "dynamic_axes) imports where it runs on other batches; otherwise the error "
                    "says how to re-export it. A file whose sequence length is free (dynamic_axes "
                    "on it, a named symbol) imports with the Input's length as the design's "
                    "variable 'length', checked at two lengths; an image's free height and width "
                    "([batch, C, 'h', 'w']) as two variables, checked at two sizes. In the designer (layerloom app), Open > Open a "
                    "model (ONNX) imports a file the same way, as a new project carrying its "
                    "weights.")
    p.add_argument("model", metavar="MODEL.onnx",
                   help="the ONNX file (opsets 13-20 tested, 7-21 accepted)")
    p.add_argument("-o", "--output", required=True, metavar="GRAPH.json",
                   help="graph to write ('-' prints it)")
    p.add_argument("--weights", metavar="FILE.safetensors",
                   help="also write the file's weights, keyed for the compiled graph")
    p.add_argument("--name", help="graph name (default: the file's name)")
    from .import_torch import add_force

    add_force(p)
    p.set_defaults(func=cmd_import_onnx)


def cmd_import_onnx(args) -> int:
    from layerloom.graph.import_torch.onnx_in import import_onnx
    from layerloom.graph.import_torch.trace import without_fx_notes
    from layerloom.graph.import_torch.training import import_warnings

    from .import_torch import refuse_existing, write_import

    path = Path(args.model)
    if not args.model.strip():
        print(f"error: {EMPTY_NAME}: give the ONNX file, such as model.onnx", file=sys.stderr)
        return EXIT_UNREADABLE
    if path.is_dir():
        print(f"error: {args.model} is a folder; give the ONNX file in it, such as "
              f"{path / 'model.onnx'}", file=sys.stderr)
        return EXIT_UNREADABLE
    if not path.is_file():
        print(f"error: no ONNX file {args.model}", file=sys.stderr)
        return EXIT_UNREADABLE
    if refuse_existing(args):
        return EXIT_INVALID
    if missing_folder(args.output, args.weights):
        print(f"error: {missing_folder(args.output, args.weights)}", file=sys.stderr)
        return EXIT_UNREADABLE
    name = args.name or re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:64] or "imported"
    try:
        with import_warnings() as said:
            graph, state, diff = import_onnx(path, name=name)
    except GraphError as exc:
        print_error(exc, without_fx_notes(str(exc)), debug=getattr(args, "debug", False))
        return EXIT_INVALID
    return write_import(args, graph, state, f"{path.name}; compiled graph matches onnxruntime "
                        f"on the file (max abs diff {diff:.2e})", said)
