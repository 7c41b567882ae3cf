"""The exported TorchScript file as it was written before (the model scripted as compiled, NCHW)
against as it is written now (``inference_copy``: channels-last for conv models, ReLUs in
place), as a user runs it: ``torch.jit.load(f)(x)`` with an NCHW batch, under
``torch.no_grad()``.

Both files are written from the same weights in this process and loaded back; then the two take
turns in rounds (order flipped each round), each round ``--calls`` calls, and a file's figure is
the median over rounds of its CPU time per call (``time.process_time``). Printed: ms per call,
before / now (above 1: the file as written now is faster), and the largest difference of the
outputs from the model's.

    .venv/bin/python benchmarks/torchscript_layout_bench.py [--template seed-cnn] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import torch

from layerloom.graph import compile_graph
from layerloom.graph.export.formats import inference_copy
from layerloom.graph.templates import load_template


def write_and_load(model, path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(model), str(path))
        return torch.jit.load(str(path)).eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--template", default="seed-cnn")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--calls", type=int, default=0, help="calls per round (default: 400 at "
                    "batch 1, 20 at 64)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = compile_graph(load_template(args.template)).eval()
    if len(model.layerloom_summary.inputs[0]) != 3:
        raise SystemExit(f"{args.template}: not an image model")
    shape = tuple(model.layerloom_summary.inputs[0])
    with tempfile.TemporaryDirectory() as tmp:
        files = {"before": write_and_load(model, Path(tmp) / "before.pt"),
                 "now": write_and_load(inference_copy(model, channels_last=True),
                                       Path(tmp) / "now.pt")}
    print(f"{args.template}, torch {torch.__version__}, {args.threads} thread(s)")
    print(f"{'batch':>5} {'before ms':>9} {'now ms':>9} {'before/now':>10} {'max diff':>9}")
    for b in args.batch:
        x = torch.randn(b, *shape)
        calls = args.calls or (400 if b == 1 else max(5, 1280 // b))
        times = {k: [] for k in files}
        with torch.no_grad():
            want = model(x)
            diff = max(float((f(x) - want).abs().max()) for f in files.values())
            for f in files.values():
                for _ in range(10):
                    f(x)
            for r in range(args.rounds):
                for name in (files if r % 2 == 0 else list(reversed(files))):
                    f = files[name]
                    c = time.process_time()
                    for _ in range(calls):
                        f(x)
                    times[name].append((time.process_time() - c) / calls)
        a, c = statistics.median(times["before"]), statistics.median(times["now"])
        print(f"{b:5d} {a * 1e3:9.3f} {c * 1e3:9.3f} {a / c:10.2f} {diff:9.2e}")


if __name__ == "__main__":
    main()
