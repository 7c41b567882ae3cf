"""seed-cnn's first stage (Conv2d 1→32 3×3, MaxPool 2×2, ReLU) computed other ways, per CPU-second.

The first stage costs a quarter to a third of a seed-cnn training step on a CPU (fp32) and about
half of it with bf16-mixed, for 8 % of its arithmetic: oneDNN's convolution with one input channel and
the max pooling of the 26×26×32 maps (its int64 indices, its backward's zero fill) are bound by
memory and per-element work, not by multiply-adds. Issue 16 needs 12-20 % off the fp32 step,
so this bench asks whether another formulation of that stage, in PyTorch operations, is cheaper
than the eager modules. Each variant runs forward + backward (the weight and bias gradients, as
in training: the image needs none) on the same channels-last batch; the table gives CPU ms per
call (median of ``--rounds`` alternating rounds) and ``eager / variant`` (above 1: faster).

    .venv/bin/python benchmarks/first_stage_bench.py                      # batch 32 and 128
    .venv/bin/python benchmarks/first_stage_bench.py --threads 2 --precisions bf16
    .venv/bin/python benchmarks/first_stage_bench.py --variants eager inductor   # compiles (C++)

Variants:

- ``eager``: the modules as the trainer runs them (conv, max pooling, ReLU in place after it).
- ``fused``: the C loop LayerLoom trains with (``runtime/fused_stage.py``): the four convolution
  outputs of each pooling window in registers, the pooled value and a byte for the winner written,
  the full map never stored.
- ``chunk8``, ``chunk32``: the stage run on slices of 8 or 32 samples, outputs concatenated, so
  each slice's 26×26×32 map stays in the L2 cache between the convolution and the pooling.
- ``s2d``: one convolution for the conv and the pooling's four positions: the image is
  rearranged 2×2 into 4 channels (``pixel_unshuffle``), a 2×2 convolution with 4×32 outputs
  (the 3×3 weights placed at the four offsets) gives the four conv outputs of every pooling
  window as channels, and their elementwise maximum is the pooled map; its backward routes each
  gradient to the winning position (the first of a tie, as max pooling does). No indices.
- ``inductor``: the convolution written as nine shifted multiply-adds and the pooling, given to
  ``torch.compile`` so that one generated loop could compute pooled outputs without the full map.

Measured 2026-12-05 (torch 2.13.0+cpu, AVX-512/AMX Xeon, quiet 2-core machine), CPU ms per
forward + backward, eager / variant in brackets (inductor from a separate run of eager and it):

| threads | precision | batch | eager | chunk32 | chunk8 | s2d | inductor |
|---|---|---|---|---|---|---|---|
| 1 | fp32 | 32 | 1.67 | 1.76 (0.95) | 2.10 (0.79) | 4.64 (0.36) | 4.52 (0.36) |
| 1 | fp32 | 128 | 5.60 | 6.83 (0.82) | 7.78 (0.72) | 15.80 (0.35) | 17.04 (0.43) |
| 1 | bf16 | 32 | 1.57 | 1.63 (0.96) | 2.10 (0.75) | 4.46 (0.35) | 4.38 (0.35) |
| 1 | bf16 | 128 | 5.31 | 6.16 (0.86) | 7.71 (0.69) | 15.58 (0.34) | 18.34 (0.33) |
| 2 | fp32 | 32 | 2.81 | 3.14 (0.89) | 3.65 (0.77) | 5.93 (0.47) | |
| 2 | fp32 | 128 | 9.44 | 9.94 (0.95) | 12.73 (0.74) | 21.89 (0.43) | |
| 2 | bf16 | 32 | 2.18 | 2.32 (0.94) | 3.24 (0.67) | 5.58 (0.39) | |
| 2 | bf16 | 128 | 6.27 | 7.68 (0.82) | 11.13 (0.56) | 17.65 (0.36) | |

Every variant is slower than the eager modules. Slicing adds per-call costs and gains nothing
from the cache (the kernels are bound by their per-element work, not by memory beyond L2).
s2d's backward is several times slower: the 2×2 convolution's weight gradient over 128 output
channels and the four masked writes of the gradient cost more than the pooling's fill and
scatter. Inductor keeps no fused loop (3-4× slower, and channels-first maps). A faster first
stage needs a fused convolution + pooling kernel (the pooled map and a 2-bit winner per window
written, the 26×26×32 map never stored), which PyTorch does not have on CPUs: ``fused`` is that
kernel, LayerLoom's own. Measured 2026-12-05 11:27 UTC (the machine loaded by test runs: read
the ratios), one thread:

| precision | batch | eager | fused |
|---|---|---|---|
| fp32 | 32 | 1.83 | 0.76 (2.41) |
| fp32 | 128 | 8.41 | 2.33 (3.62) |
| bf16 | 32 | 2.34 | 0.89 (2.64) |
| bf16 | 128 | 7.19 | 2.58 (2.79) |

The loop as of commit e5b5338 (two channel vectors at a time, no torch operation around the
call, the batch shared among torch's OpenMP threads), 14:13 UTC, quiet machine, CPU ms of all
threads (on two threads the call's wall time halves: the second thread takes half the rows):

| threads | precision | batch 32 | batch 128 |
|---|---|---|---|
| 1 | fp32 | 1.87 → 0.63 (2.95) | 7.61 → 2.11 (3.61) |
| 1 | bf16 | 1.78 → 0.57 (3.12) | 6.53 → 2.08 (3.15) |
| 2 | fp32 | 3.13 → 0.66 (4.76) | 11.73 → 2.41 (4.88) |
| 2 | bf16 | 2.34 → 0.63 (3.70) | 6.94 → 2.10 (3.30) |
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import layerloom.runtime  # noqa: F401  (before torch, as the CLI: OpenMP's spin count)
import torch
import torch.nn.functional as F
from torch import nn

ALL = ("eager", "fused", "chunk32", "chunk8", "s2d", "inductor")
CL = torch.channels_last


class FirstStage(nn.Module):
    """Conv2d(c_in → c_out, 3×3) → MaxPool2d(2) → ReLU, as seed-cnn's compiled model runs it
    (the ReLU moved after the pooling, in place: runtime/rewrite.py)."""

    def __init__(self, c_in: int = 1, c_out: int = 32):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3)

    def forward(self, x):
        return F.max_pool2d(self.conv(x), 2).relu_()


def chunked(stage: FirstStage, size: int):
    def run(x):
        return torch.cat([F.max_pool2d(stage.conv(part), 2) for part in x.split(size)]).relu_()
    return run


class _MaxOfFour(torch.autograd.Function):
    """The elementwise maximum of the four phase groups of ``h`` (B, 4·O, H, W); the gradient
    goes to the first phase holding the maximum, as max pooling's does."""

    @staticmethod
    def forward(ctx, h):
        p = h.unflatten(1, (4, -1))
        y = torch.maximum(torch.maximum(p[:, 0], p[:, 1]), torch.maximum(p[:, 2], p[:, 3]))
        ctx.save_for_backward(h, y)
        return y.clone()  # the ReLU after it runs in place on this one

    @staticmethod
    def backward(ctx, g):
        h, y = ctx.saved_tensors
        p = h.unflatten(1, (4, -1))
        grad = torch.empty_like(h)
        phases = grad.unflatten(1, (4, -1))
        taken = torch.zeros_like(y, dtype=torch.bool)
        zero = g.new_zeros(())
        for ph in range(4):
            hit = (p[:, ph] == y) & ~taken
            taken |= hit
            torch.where(hit, g, zero, out=phases[:, ph])
        return grad


def space_to_depth(stage: FirstStage):
    w = stage.conv.weight
    c_out, c_in = w.shape[:2]
    # W4[phase (a, b), o, c, sub-row, sub-col, di, dj] = w[o, c, 2di + sub-row - a, 2dj + ... - b]
    index = torch.full((4, c_in, 2, 2, 2, 2), c_in * 9, dtype=torch.long)  # default: a zero
    for a, b, c, sr, sc, di, dj in itertools.product(range(2), range(2), range(c_in),
                                                     *[range(2)] * 4):
        ky, kx = 2 * di + sr - a, 2 * dj + sc - b
        if 0 <= ky < 3 and 0 <= kx < 3:
            index[a * 2 + b, c, sr, sc, di, dj] = c * 9 + ky * 3 + kx

    def run(x):
        h_out = (x.shape[2] - 2) // 2 * 2 + 2  # rows the pooled windows read
        x = F.pixel_unshuffle(x[:, :, :h_out, :h_out], 2).contiguous(memory_format=CL)
        flat = torch.cat([stage.conv.weight.reshape(c_out, -1),
                          stage.conv.weight.new_zeros(c_out, 1)], 1)
        w4 = flat[:, index].transpose(0, 1).reshape(4 * c_out, c_in * 4, 2, 2)
        h = F.conv2d(x, w4.contiguous(memory_format=CL), stage.conv.bias.repeat(4))
        return _MaxOfFour.apply(h).relu_()
    return run


def inductor(stage: FirstStage):
    def decomposed(x, w, b):
        rows, cols = x.shape[2] - 2, x.shape[3] - 2
        h = b.view(1, -1, 1, 1)
        for ky, kx in itertools.product(range(3), range(3)):
            h = h + x[:, :, ky:ky + rows, kx:kx + cols] * w[:, 0, ky, kx].view(1, -1, 1, 1)
        return F.max_pool2d(h, 2).relu()
    compiled = torch.compile(decomposed)
    return lambda x: compiled(x, stage.conv.weight, stage.conv.bias)


def fused(stage: FirstStage):
    """The C loop of runtime/fused_stage.py, as the trainer calls it."""
    from layerloom.runtime.fused_stage import conv_pool_relu, kernel_for

    if kernel_for(stage.conv) is None:
        raise SystemExit("the fused variant needs a C compiler (runtime/native.py)")
    pool, relu = nn.MaxPool2d(2), nn.ReLU(inplace=True)
    return lambda x: conv_pool_relu(x, stage.conv, pool, relu)


def variant(name: str, stage: FirstStage):
    return {"eager": lambda: stage, "fused": lambda: fused(stage), "chunk32": lambda: chunked(stage, 32),
            "chunk8": lambda: chunked(stage, 8), "s2d": lambda: space_to_depth(stage),
            "inductor": lambda: inductor(stage)}[name]()


def measure(variants, batch, precision, rounds, calls):
    torch.manual_seed(0)
    stage = FirstStage().to(memory_format=CL)
    # MNIST-like: most pixels exactly zero (ties in the conv output), the rest in (0, 1)
    x = (torch.rand(batch, 1, 28, 28) * (torch.rand(batch, 1, 28, 28) > 0.8))
    x = x.contiguous(memory_format=CL)
    bf16 = precision == "bf16"
    runs = {v: variant(v, stage) for v in variants}
    grad_out = None
    reference = None
    for v, run in runs.items():  # warm-up, and the same values and gradients as eager
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = run(x)
        grad_out = torch.randn_like(y) if grad_out is None else grad_out
        grads = torch.autograd.grad(y, [stage.conv.weight, stage.conv.bias], grad_out)
        if reference is None:
            reference = (y.detach().float(), [g.float() for g in grads])
        else:
            scale = max(g.abs().max().item() for g in reference[1])
            error = max((a - b.float()).abs().max().item() for a, b in zip(reference[1], grads))
            assert torch.allclose(y.float(), reference[0], atol=1e-2 if bf16 else 1e-5), v
            # inductor's pooling gives a tie (windows of zero pixels) to another position:
            # another valid gradient (the same one on inputs without ties)
            # the C loop's sums are float32 under bf16 autocast (rounded to bfloat16 once, at
            # the end): it differs from eager's bf16 convolution by that convolution's own
            # rounding (a few %), not by its own
            tolerance = 1e-5 if not bf16 else 8e-2 if v == "fused" else 2e-2
            assert v == "inductor" or error <= tolerance * scale, (v, error, scale)

    def call(run):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = run(x)
        y.backward(grad_out)

    per_call = {v: [] for v in variants}
    for r in range(rounds):
        for v in (variants if r % 2 == 0 else list(reversed(variants))):
            for _ in range(3):
                call(runs[v])
            c0 = time.process_time()
            for _ in range(calls):
                call(runs[v])
            per_call[v].append((time.process_time() - c0) / calls)
    return {v: statistics.median(t) for v, t in per_call.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=("fp32", "bf16"))
    ap.add_argument("--variants", nargs="+", default=["eager", "fused", "chunk32", "chunk8", "s2d"],
                    choices=ALL)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--calls", type=int, default=0, help="calls per round (default: 40 at "
                    "batch 32, scaled to the same number of samples)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    variants = ["eager"] + [v for v in args.variants if v != "eager"]
    print(f"torch {torch.__version__}, {args.threads} thread(s); CPU ms per forward + backward "
          f"(median of {args.rounds} rounds), eager / variant in brackets")
    print(f"| precision | batch | {' | '.join(variants)} |")
    print(f"|---|---|{'---|' * len(variants)}")
    for precision in args.precisions:
        for batch in args.batch:
            figures = measure(variants, batch, precision, args.rounds,
                              args.calls or max(10, 1280 // batch))
            base = figures["eager"]
            cells = [f"{base * 1e3:.2f}"] + [f"{figures[v] * 1e3:.2f} ({base / figures[v]:.2f})"
                                             for v in variants[1:]]
            print(f"| {precision} | {batch} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
