"""How far bf16-mixed can speed up seed-cnn's training step on this CPU: the ceiling, measured.

bfloat16 pays in conv2 (32 → 64 maps, 3×3), the one layer whose products dominate the step;
the rest of the step (the first stage's C loop, the poolings, the head, the loss, Adam, Python)
costs each precision about as much (bf16's a little less: its maps are half the bytes). With
``C`` conv2's forward and backward in float32, ``R32`` and ``R16`` the rest of each precision's
step, the best bf16-mixed / fp32 ratio that a conv2 twice as fast as float32's can give
(AVX512-BF16's ``vdpbf16ps`` computes at most twice the products of an fp32 FMA; AMX's tiles
more) is::

    (C + R32) / (C / 2 + R16)

This prints, for each batch size and thread count, in one process with the two precisions
alternating (medians of ``--rounds`` blocks; wall clock and CPU time):

- conv2 alone, forward and backward through ``nn.Conv2d`` (float32, and under CPU bf16
  autocast as the trainer runs it) at the shapes seed-cnn trains with (12×12 → 10×10 maps after
  the crop of unread edges): ``C``, conv2's bf16 time ``C16`` and their ratio;
- the trainer's whole step in each precision (:mod:`train_step_variants_bench`'s eager
  trainer), ``R32 = step32 − C`` and ``R16 = step16 − C16``;
- the ceiling above and the step ratio measured (``(C + R32) / (C16 + R16)``).

Two threads on a machine whose cores are busy with other programs measure the waiting, not
the arithmetic (PyTorch's threads meet after every operation): run it on a quiet machine.

    .venv/bin/python benchmarks/bf16_ceiling_bench.py                    # batch 32 and 128, 1 and 2 threads
    .venv/bin/python benchmarks/bf16_ceiling_bench.py --batch 32 --threads 2 --rounds 12

Measured 2026-12-07 on a quiet 2-core AMD EPYC (Zen 4: AVX-512, AVX512-BF16, no AMX) and
recorded in ``benchmarks/RESULTS-keras.md`` ("The AMD EPYC again, 2026-12-07").
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch import nn

import train_step_variants_bench as steps


def conv2_pair(batch: int):
    """Two callables, conv2's forward and backward in float32 and under bf16 autocast."""
    torch.manual_seed(0)
    conv = nn.Conv2d(32, 64, 3).to(memory_format=torch.channels_last)
    x32 = torch.randn(batch, 32, 12, 12).contiguous(memory_format=torch.channels_last)
    x32.requires_grad_()
    x16 = x32.detach().bfloat16().requires_grad_()
    g32 = torch.randn(batch, 64, 10, 10).contiguous(memory_format=torch.channels_last)
    g16 = g32.bfloat16()

    def clear(x):
        conv.weight.grad = conv.bias.grad = x.grad = None

    def fp32():
        conv(x32).backward(g32)
        clear(x32)

    def bf16():
        with torch.autocast("cpu", torch.bfloat16):
            y = conv(x16)
        y.backward(g16)
        clear(x16)

    return fp32, bf16


def alternate(pair: dict, rounds: int, reps: int) -> dict:
    """Median wall and CPU seconds per call of each callable, taking turns in blocks."""
    for fn in pair.values():
        for _ in range(3):
            fn()
    times = {k: ([], []) for k in pair}
    names = list(pair)
    for r in range(rounds):
        for k in names if r % 2 == 0 else names[::-1]:
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(reps):
                pair[k]()
            times[k][0].append((time.perf_counter() - w0) / reps)
            times[k][1].append((time.process_time() - c0) / reps)
    return {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in times.items()}


def trainer_steps(batch: int, threads: int):
    """The eager trainer's step in each precision, as callables of one step each."""
    from layerloom.runtime.trainer import epoch_permutation

    ds = steps.make_dataset(4096)
    out = {}
    for precision in ("fp32", "bf16-mixed"):
        steps.PRECISION = precision
        trainer = steps.make_trainer("eager", batch, threads, ds)
        trainer._perm = epoch_permutation(len(trainer.x_train), 0, 0)
        position = [0]

        def one(trainer=trainer, position=position):
            steps.run_steps(trainer, 1, position[0])
            position[0] += 1

        out[precision] = one
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    # R16 and R32 are differences of medians timed apart: on a busy machine they swing by
    # tenths of a millisecond from run to run (benchmarks/RESULTS-keras.md), so say the load
    print("load average at the start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    print("| threads | batch | clock | C: conv2 fp32 ms | C16: conv2 bf16 ms (C / C16) "
          "| R32 / R16: the rest ms | step fp32 / bf16 ms | ceiling (C+R32)/(C/2+R16) "
          "| measured bf16 / fp32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for batch in args.batch:
            reps = max(5, 40 * 32 // batch)
            conv = alternate(dict(zip(("fp32", "bf16"), conv2_pair(batch))), args.rounds, reps)
            step = alternate(trainer_steps(batch, threads), args.rounds, reps)
            torch.set_num_threads(threads)  # the trainers set it too; kept for the next conv
            for i, clock in enumerate(("wall", "CPU")):
                c, c16 = conv["fp32"][i] * 1e3, conv["bf16"][i] * 1e3
                s32, s16 = step["fp32"][i] * 1e3, step["bf16-mixed"][i] * 1e3
                r32, r16 = s32 - c, s16 - c16
                print(f"| {threads} | {batch} | {clock} | {c:.2f} | {c16:.2f} ({c / c16:.2f}) "
                      f"| {r32:.2f} / {r16:.2f} | {s32:.2f} / {s16:.2f} "
                      f"| {s32 / (c / 2 + r16):.2f} | {s32 / s16:.2f} |", flush=True)
    print("load average at the end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
