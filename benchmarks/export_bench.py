"""Export figures (issue 5).

1. resnet18 (11.7 M params, fresh weights) to every format: the time to write, the time to load
   it back and compare it with the model, and the file sizes.
2. ONNX against PyTorch for every template: the largest absolute difference of onnxruntime's
   outputs from the model's, on the same random batch (must be below 1e-4), with weights whose
   BatchNorm statistics are calibrated on random batches (see ``calibrated``).
3. With --dynamo: the time of the dynamo ONNX exporter on seed-cnn and resnet18, against the
   classic one that export uses.

    python benchmarks/export_bench.py [--dynamo] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import warnings
from pathlib import Path

import torch

from layerloom.graph import compile_graph
from layerloom.graph.export import FORMAT_NAMES, export_model
from layerloom.graph.templates import load_template, template_names

SUFFIX = {"json": ".json", "python": ".py", "torchscript": ".pt", "onnx": ".onnx",
          "safetensors": ".safetensors", "bundle": ".zip"}


def resnet18_formats(folder: Path) -> list[dict]:
    graph = load_template("resnet18")
    rows = []
    for fmt in FORMAT_NAMES:
        result = export_model(graph, fmt, folder / f"resnet18{SUFFIX[fmt]}")
        notes = result.notes
        rows.append({"format": fmt, "seconds": result.seconds,
                     "write_s": notes.get("write_seconds"), "check_s": notes.get("check_seconds"),
                     "files": {f.name: f.stat().st_size for f in result.files},
                     "bytes": result.bytes, "max_abs_diff": result.max_abs_diff,
                     "method": notes.get("method")})
        print(f"  {fmt:12s} {result.seconds:6.2f} s total"
              + (f" (write {notes['write_seconds']:.2f} s, check {notes['check_seconds']:.2f} s)"
                 if "write_seconds" in notes else "")
              + f"  {result.bytes / 1e6:7.2f} MB  max abs diff {result.max_abs_diff:.2e}"
              + (f"  [{notes['method']}]" if notes.get("method") else ""))
    return rows


def calibrated(graph) -> tuple[dict, float]:
    """Weights whose activations keep their scale through the network, as trained ones do.

    Freshly initialised deep nets (EfficientNet-B0 above all) in evaluation mode shrink their
    activations towards zero layer by layer (running statistics 0 and 1), so their outputs are
    mostly the last bias and any difference would hide. Running a few random batches in
    training mode sets every BatchNorm's statistics to what it actually sees.
    """
    torch.manual_seed(0)
    model = compile_graph(graph)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # a plain average over the batches
    model.train()
    spec = model.layerloom_summary.inputs[0]
    token_ids = any(n.type == "Input" and n.params.get("dtype") == "int64" for n in graph.nodes)
    with torch.no_grad():
        for _ in range(3):
            x = torch.randint(0, 50, (8, *spec)) if token_ids else torch.randn(8, *spec)
            model(x)
        model.eval()
        scale = float(model(x).abs().max())
    return model.state_dict(), scale


def onnx_every_template(folder: Path) -> list[dict]:
    rows = []
    for name in template_names():
        graph = load_template(name)
        state, scale = calibrated(graph)
        result = export_model(graph, "onnx", folder / f"{name}.onnx", state)
        rows.append({"template": name, "max_abs_diff": result.max_abs_diff,
                     "output_scale": scale, "bytes": result.bytes, "seconds": result.seconds})
        flag = "ok" if result.max_abs_diff < 1e-4 else "ABOVE 1e-4"
        print(f"  {name:18s} max abs diff {result.max_abs_diff:.2e}  {flag}  (outputs up to "
              f"{scale:.3g}; {result.bytes / 1e6:.2f} MB, {result.seconds:.2f} s)")
    return rows


def dynamo_versus_classic(folder: Path) -> list[dict]:
    rows = []
    logging.disable(logging.WARNING)
    for name in ("seed-cnn", "resnet18"):
        graph = load_template(name)
        model = compile_graph(graph).eval()
        x = torch.randn(2, *model.layerloom_summary.inputs[0])
        for dynamo in (False, True):
            path = folder / f"{name}-{'dynamo' if dynamo else 'classic'}.onnx"
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if dynamo:
                    torch.onnx.export(model, (x,), str(path), dynamo=True,
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
                else:
                    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17,
                                      input_names=["x"], output_names=["y"],
                                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
            seconds = time.perf_counter() - started
            files = sorted(p.name for p in folder.iterdir() if p.name.startswith(path.name))
            size = sum((folder / f).stat().st_size for f in files)
            rows.append({"template": name, "dynamo": dynamo, "seconds": seconds,
                         "files": files, "bytes": size})
            print(f"  {name:10s} {'dynamo ' if dynamo else 'classic'} {seconds:6.2f} s  "
                  f"{size / 1e6:.2f} MB in {len(files)} file(s)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dynamo", action="store_true", help="also time the dynamo exporter")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("resnet18 to every format (fresh weights; each file loaded back and compared):")
        figures["resnet18"] = resnet18_formats(folder)
        print("ONNX (opset 17, onnxruntime) against PyTorch, every template:")
        figures["onnx"] = onnx_every_template(folder)
        worst = max(r["max_abs_diff"] for r in figures["onnx"])
        print(f"  worst: {worst:.2e} ({'under' if worst < 1e-4 else 'OVER'} 1e-4)")
        if args.dynamo:
            print("ONNX exporters, export call only:")
            figures["dynamo"] = dynamo_versus_classic(folder)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
