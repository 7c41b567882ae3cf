"""A recurrent block given a padding mask: packed (``pack_padded_sequence``) against the padded
batch read whole, as ratios measured in one run (above 1: the padded read is faster).

Each case is a training step (forward and backward) of ``layerloom.graph.modules.Recurrent`` on a
batch of texts of random lengths (a quarter of the steps up to all of them, padding after), one
thread. Both ways take turns (ABAB..., ``--rounds`` times) so that a drift in the machine's load
falls on both alike; a figure is the median CPU time (``time.process_time``) per step. The
block reads the padded batch where that gives the packed numbers (one direction, any layers; one
bidirectional layer: ``tests/compile/test_recurrent_unpacked.py``) and packs stacked
bidirectional layers, which the padded read cannot give the packed numbers.

    .venv/bin/python benchmarks/recurrent_packing_bench.py
    .venv/bin/python benchmarks/recurrent_packing_bench.py --kind GRU --steps 32 128 --batch 64

Measured 2026-12-07 (torch 2.13.0+cpu, AVX-512 Xeon, shared 2-core machine), LSTM, hidden 64,
input 32, batch 32, packed / padded read:

| layers, directions | 32 steps | 128 steps | 256 steps |
|---|---|---|---|
| 1, one way | 2.64 | 3.53 | 4.39 |
| 2, one way | 2.35 | 3.15 | 4.81 |
| 1, both ways (the batch beside itself shifted to end at the last step) | 1.34 | 1.09 | 1.64 |

(the one-layer bidirectional case gave 1.20, 1.67, 1.68 in an earlier run: the machine is noisy)
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from layerloom.graph.modules import Recurrent


def _step(module: Recurrent, x: torch.Tensor, mask: torch.Tensor, packed: bool) -> float:
    start = time.process_time()
    x = x.clone().requires_grad_(True)
    if packed:
        steps = torch.arange(1, x.shape[1] + 1)
        lengths = ((mask == 0) * steps).amax(dim=1).clamp(min=1)
        out = module._packed(x, lengths)
    else:
        out = module._unpacked(x, ((mask == 0).sum(dim=1)).clamp(min=1))
    out.sum().backward()
    return time.process_time() - start


def measure(kind: str, layers: int, bidirectional: bool, steps: int, batch: int,
            rounds: int) -> float:
    torch.manual_seed(0)
    module = Recurrent(kind, "sequence", input_size=32, hidden_size=64, num_layers=layers,
                       bidirectional=bidirectional)
    x = torch.randn(batch, steps, 32)
    lengths = torch.randint(max(1, steps // 4), steps + 1, (batch,))
    mask = (torch.arange(steps).unsqueeze(0) >= lengths.unsqueeze(1)).long()
    for packed in (True, False):  # warm-up
        _step(module, x, mask, packed)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for packed in (True, False):
            times[packed].append(_step(module, x, mask, packed))
    return statistics.median(times[True]) / statistics.median(times[False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="LSTM", choices=["LSTM", "GRU", "RNN"])
    parser.add_argument("--steps", type=int, nargs="+", default=[32, 128, 256])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [(1, False), (2, False), (1, True)]
    print(f"{args.kind}, batch {args.batch}: packed / padded read (above 1: padded is faster)")
    print("layers, directions | " + " | ".join(f"{n} steps" for n in args.steps))
    for layers, bidirectional in cases:
        ratios = [measure(args.kind, layers, bidirectional, n, args.batch, args.rounds)
                  for n in args.steps]
        label = f"{layers}, {'both ways' if bidirectional else 'one way'}"
        print(f"{label} | " + " | ".join(f"{r:.2f}" for r in ratios), flush=True)


if __name__ == "__main__":
    main()
