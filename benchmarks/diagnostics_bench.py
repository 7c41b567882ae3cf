"""What live layer diagnostics cost a run (issue 14): the same training with ``diagnose_every``
at its default (50) and off (0), in alternating rounds after a warm-up round, each timed by the
process's CPU time and by the wall clock; the median ratio (with / without) must stay ≤ 1.03.

    python benchmarks/diagnostics_bench.py                  # seed-cnn on mnist-5k, 1 thread
    python benchmarks/diagnostics_bench.py --rounds 6 --every 50 --template resnet-mini

The runs are the real ``train()`` path with a sink (diagnostics are recorded only where a run
reports), on the same data, seed and settings; only ``diagnose_every`` differs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from layerloom.graph.templates import load_template
from layerloom.runtime import TrainConfig, load_dataset, train


def one_run(graph, ds, every: int, epochs: int, batch: int = 32) -> tuple[float, float, int]:
    watched = []

    def sink(event):
        if event.kind == "layers":
            watched.append(event.step)

    config = TrainConfig(epochs=epochs, batch_size=batch, diagnose_every=every, seed=0,
                         num_threads=torch.get_num_threads())
    cpu, wall = time.process_time(), time.perf_counter()
    train(graph, ds, config, callback=sink)
    return time.process_time() - cpu, time.perf_counter() - wall, len(watched)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default="seed-cnn")
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--rounds", type=int, default=4, help="timed rounds of each")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--every", type=int, default=TrainConfig().diagnose_every)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    graph, ds = load_template(args.template), load_dataset(args.dataset)
    one_run(graph, ds, args.every, args.epochs, args.batch)  # warm-up
    cpu = {0: [], args.every: []}
    wall = {0: [], args.every: []}
    watched = 0
    for r in range(args.rounds):
        order = (0, args.every) if r % 2 == 0 else (args.every, 0)
        for every in order:
            c, w, n = one_run(graph, ds, every, args.epochs, args.batch)
            cpu[every].append(c)
            wall[every].append(w)
            watched = n or watched
    cpu_ratio = statistics.median(a / b for a, b in zip(cpu[args.every], cpu[0]))
    wall_ratio = statistics.median(a / b for a, b in zip(wall[args.every], wall[0]))
    print(f"{args.template} on {args.dataset}, {args.epochs} epoch(s), batch {args.batch}, "
          f"{args.threads} thread(s); {watched} watched steps a run (every {args.every})")
    print(f"CPU seconds off: {statistics.median(cpu[0]):.2f}, on: "
          f"{statistics.median(cpu[args.every]):.2f}; wall off: "
          f"{statistics.median(wall[0]):.2f} s, on: {statistics.median(wall[args.every]):.2f} s")
    print(f"cost of diagnostics (median ratio with/without): CPU {cpu_ratio:.3f}, "
          f"wall {wall_ratio:.3f}  [target <= 1.03]")


if __name__ == "__main__":
    main()
