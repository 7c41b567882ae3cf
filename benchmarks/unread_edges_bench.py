"""seed-cnn's training step with and without the crop of unread edges (runtime/unread_edges.py).

seed-cnn's second pooling drops the 11th row and column of its convolution's 11×11 map; followed
back, the model reads 26 of the image's 28 rows and columns. ``runtime/unread_edges.py`` crops the
image to them, so both convolutions, both poolings and their gradients compute on smaller maps.
This bench builds two trainers the way ``layerloom.runtime.train`` does (the same design, data,
seed and config; every other rewrite in place), one with the crop and one without, and runs
their training steps in alternating rounds in one process: CPU ms per step (median of
``--rounds``) and ``without / with`` (above 1: the crop is faster), wall clock beside it.

    .venv/bin/python benchmarks/unread_edges_bench.py                     # 1 thread, fp32
    .venv/bin/python benchmarks/unread_edges_bench.py --threads 2 --precision bf16-mixed

Measured 2026-12-05 (torch 2.13.0+cpu, 2-core AMD EPYC Zen 4, quiet; 12 rounds), CPU ms per step,
without / with:

| threads | precision | batch | without | with | without / with (CPU) | (wall) |
|---|---|---|---|---|---|---|
| 1 | fp32 | 32 | 5.79 | 5.10 | 1.13 | 1.13 |
| 1 | fp32 | 128 | 22.98 | 19.89 | 1.16 | 1.16 |
| 2 | fp32 | 32 | 9.71 | 8.56 | 1.13 | 1.15 |
| 2 | fp32 | 128 | 26.84 | 22.83 | 1.18 | 1.17 |
| 1 | bf16-mixed | 32 | 4.61 | 4.02 | 1.15 | 1.15 |
| 1 | bf16-mixed | 128 | 15.39 | 13.40 | 1.15 | 1.15 |
| 2 | bf16-mixed | 32 | 7.23 | 6.76 | 1.07 | 1.07 |
| 2 | bf16-mixed | 128 | 22.78 | 20.06 | 1.14 | 1.14 |

The arithmetic left is 100/121 of the second convolution's and 144/169 of the first's (its
pooled map): 13-18 % off the fp32 step is that saving nearly in full.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_step_variants_bench as steps  # noqa: E402


def measure(batch: int, threads: int, precision: str, rounds: int) -> dict:
    """``{"with": (cpu_ms, wall_ms), "without": (…)}``, medians per training step."""
    from layerloom.runtime import rewrite
    from layerloom.runtime.trainer import epoch_permutation

    steps.PRECISION = precision
    data = steps.make_dataset(4096)
    cropping = steps.make_trainer("eager", batch, threads, data)
    keep = rewrite.crop_unread_edges
    rewrite.crop_unread_edges = lambda gm: 0
    try:
        whole = steps.make_trainer("eager", batch, threads, data)
    finally:
        rewrite.crop_unread_edges = keep
    assert rewrite.routed_calls(cropping.net) == rewrite.routed_calls(whole.net) + 1
    trainers = {"with": cropping, "without": whole}
    for t in trainers.values():
        t._perm = epoch_permutation(len(t.x_train), 0, 0)
        steps.run_steps(t, 10, 0)  # warm: kernels chosen, memory pooled
    per_round = max(10, 1280 // batch)
    times = {name: ([], []) for name in trainers}
    start = 10
    for r in range(rounds):
        order = list(trainers) if r % 2 == 0 else list(reversed(trainers))
        for name in order:
            cpu, wall = time.process_time(), time.perf_counter()
            steps.run_steps(trainers[name], per_round, start % 20)
            times[name][0].append((time.process_time() - cpu) / per_round * 1e3)
            times[name][1].append((time.perf_counter() - wall) / per_round * 1e3)
        start += per_round
    return {name: (statistics.median(c), statistics.median(w)) for name, (c, w) in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16-mixed"))
    ap.add_argument("--rounds", type=int, default=12)
    args = ap.parse_args()
    print("| threads | precision | batch | without | with | without / with (CPU) | (wall) |")
    print("|---|---|---|---|---|---|---|")
    for batch in args.batch:
        f = measure(batch, args.threads, args.precision, args.rounds)
        (cw, ww), (c, w) = f["without"], f["with"]
        print(f"| {args.threads} | {args.precision} | {batch} | {cw:.2f} | {c:.2f} | "
              f"{cw / c:.2f} | {ww / w:.2f} |", flush=True)


if __name__ == "__main__":
    main()
