"""seed-cnn's second convolution (32 → 64 channels, 3×3, on 13×13 maps) by direct convolution
and by Winograd's F(4×4, 3×3): is there a faster algorithm than the one both frameworks run?

On a CPU without AMX, conv2 is most of a seed-cnn training step (about 70 % at fp32 on an AMD
EPYC with AVX-512), and oneDNN's direct kernels, which TensorFlow calls too, run it near the
core's multiply-add peak, so no loop of the same arithmetic can beat them. Winograd's F(4×4, 3×3)
computes each 4×4 output tile from a 6×6 input tile with 36 products per channel pair instead
of 144: the convolution becomes 36 matrix products ``[tiles, C] @ [C, K]`` plus transforms of
the input, the weights and the output. This bench measures, per forward + backward (input and
weight gradients, as in training), CPU ms per call at one thread (median of ``--rounds``
alternating rounds):

- ``direct``: ``nn.Conv2d`` as the trainer runs it (channels-last, oneDNN);
- ``gemm``: only the three batched matrix products of Winograd's forward and backward, in
  float32 and in bfloat16 (the floor of any Winograd implementation);
- ``winograd``: a whole Winograd convolution written with PyTorch operations (transforms as
  small matrix products), its backward by autograd.

and the error of each against a float64 convolution on post-ReLU inputs and Kaiming-scaled
weights (relative Frobenius norm).

    .venv/bin/python benchmarks/conv2_algorithms_bench.py --batch 32 128
    .venv/bin/python benchmarks/conv2_algorithms_bench.py --weight-gradient --batch 32 128

Measured 2026-12-05 on a 2-core AMD EPYC (Zen 4: AVX-512, AVX512-BF16, no AMX), one thread,
CPU ms per forward + backward, direct / variant in brackets:

| batch | direct | Winograd's 3 products, fp32 | the same in bf16 | Winograd in PyTorch ops |
|---|---|---|---|---|
| 32 | 4.97 | 1.62 (3.06) | 0.76 (6.54) | 6.84 (0.73) |
| 128 | 20.19 | 8.14 (2.48) | 2.99 (6.75) | 28.88 (0.70) |

Error against float64: direct fp32 1.6e-7, Winograd fp32 9e-7, direct bf16 2.9e-3, Winograd
with bf16 products 2.1e-2 (7× direct bf16's). So the products alone would take conv2 from 5 to
1.6 ms at fp32, but written with PyTorch operations the transforms (a dozen copies and small
products per call, forward and backward) cost more than that saves; it would take transforms
written as loops over the channels (in C, as the first stage's loop is) to gain. Under bf16,
F(4×4, 3×3) is 7× less exact than direct bf16. And it would make fp32 so much faster that
bf16-mixed gains little over it on this model: the bf16 products save 0.9 ms where direct
bf16 saves 1.8 (oneDNN's three kernels at batch 32: 4.05 ms fp32, 2.28 ms bf16; see
benchmarks/RESULTS-keras.md). Not built: cropping the rows and columns conv2's pooling never
reads (runtime/unread_edges.py) took 17 % of conv2's arithmetic away in both precisions and
brought fp32 to 1.21-1.37x Keras on this CPU with the direct kernels.

``--weight-gradient``: of conv2's three passes under bf16, only the weight gradient runs well
below the bf16 peak on this CPU (about 210 GFLOP/s; oneDNN has no brgemm kernel for it without
AMX, and uses its older ``jit_bf16`` one). Is the same sum faster as one bf16 matrix product of
the 3×3 patches? Measured 2026-12-06 on the same AMD EPYC, 8 rounds, CPU ms per weight gradient
(oneDNN fp32 / row in brackets), GFLOP per CPU-second:

| batch, threads | oneDNN fp32 | patches @ fp32 | oneDNN bf16 | patches @ bf16 |
|---|---|---|---|---|
| 32, 1 | 1.197, 99 | 1.438 (0.83), 82 | 0.757 (1.58), 156 | 0.740 (1.62), 159 |
| 128, 1 | 4.610, 102 | 6.659 (0.69), 71 | 2.865 (1.61), 165 | 3.022 (1.53), 156 |
| 32, 2 | 1.470, 80 | 3.871 (0.38), 30 | 0.924 (1.59), 128 | 2.210 (0.67), 53 |

No: at batch 32 on one thread the two are level (within the rounds' spread), and at batch 128
and on two threads the product and the copy of the patches lose. oneDNN's kernel is kept.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

# Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): F(4x4, 3x3)
BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
     [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]


def winograd(x: torch.Tensor, w: torch.Tensor, product_dtype: torch.dtype) -> torch.Tensor:
    """A valid 3×3 convolution of ``x`` [N, C, H, W] by ``w`` [K, C, 3, 3] (no bias) by
    F(4×4, 3×3); the 36 products in ``product_dtype``, everything else in ``x``'s dtype. The
    tile transforms are one matrix product each (``kron(B^T, B^T)`` on the 36 values of a
    tile), the fastest of the PyTorch formulations tried (einsum over the two axes: 2× slower)."""
    n, c, h, width = x.shape
    k = w.shape[0]
    bt, g, at = (torch.tensor(m, dtype=x.dtype) for m in (BT, G, AT))
    th, tw = -(-(h - 2) // 4), -(-(width - 2) // 4)
    xn = F.pad(x.permute(0, 2, 3, 1), (0, 0, 0, 4 * tw + 2 - width, 0, 4 * th + 2 - h))
    s = xn.stride()
    tiles = xn.as_strided((n, th, tw, 6, 6, c), (s[0], 4 * s[1], 4 * s[2], s[1], s[2], s[3]))
    v = torch.matmul(torch.kron(bt, bt), tiles.reshape(n * th * tw, 36, c)).transpose(0, 1)
    u = torch.einsum("ai,kcij,bj->abck", g, w, g).reshape(36, c, k)
    m = torch.bmm(v.to(product_dtype), u.to(product_dtype)).to(x.dtype)  # [36, tiles, K]
    y = torch.matmul(torch.kron(at, at), m.reshape(36, -1)).reshape(4, 4, n, th, tw, k)
    y = y.permute(2, 3, 0, 4, 1, 5).reshape(n, 4 * th, 4 * tw, k)
    return y[:, :h - 2, :width - 2].permute(0, 3, 1, 2)


def errors(batch: int) -> dict:
    torch.manual_seed(0)
    x = torch.relu(torch.randn(batch, 32, 13, 13, dtype=torch.float64))
    w = torch.randn(64, 32, 3, 3, dtype=torch.float64) * (2 / 288) ** 0.5
    ref = F.conv2d(x, w)

    def rel(y):
        return ((y.double() - ref).norm() / ref.norm()).item()

    return {"direct fp32": rel(F.conv2d(x.float(), w.float())),
            "winograd fp32": rel(winograd(x.float(), w.float(), torch.float32)),
            "direct bf16": rel(F.conv2d(x.bfloat16(), w.bfloat16())),
            "winograd, bf16 products": rel(winograd(x.float(), w.float(), torch.bfloat16))}


def variants(batch: int) -> dict:
    conv = torch.nn.Conv2d(32, 64, 3, bias=False).to(memory_format=torch.channels_last)
    x = torch.randn(batch, 32, 13, 13).to(memory_format=torch.channels_last).requires_grad_()
    grad = torch.randn(batch, 64, 11, 11)
    tiles = batch * 9  # 3×3 tiles of 4×4 outputs cover an 11×11 map
    gemm = {}
    for name, dtype in (("gemm fp32", torch.float32), ("gemm bf16", torch.bfloat16)):
        v, u = torch.randn(36, tiles, 32, dtype=dtype), torch.randn(36, 32, 64, dtype=dtype)
        dm = torch.randn(36, tiles, 64, dtype=dtype)

        def products(v=v, u=u, dm=dm):
            torch.bmm(v, u)
            torch.bmm(dm, u.transpose(1, 2))
            torch.bmm(v.transpose(1, 2), dm)

        gemm[name] = products

    def direct():
        conv(x).backward(grad)

    def wino():
        winograd(x, conv.weight, torch.float32).backward(grad)

    return {"direct": direct, **gemm, "winograd (PyTorch ops)": wino}


def weight_gradient_variants(batch: int) -> dict:
    """conv2's weight gradient alone, on the maps training computes today (12×12 in, 10×10
    out: the crop of unread edges): oneDNN's kernel, as autograd calls it, against the same
    sum as one matrix product of the 3×3 patches, ``[64, N·100] @ [N·100, 288]`` (the patches
    copied out of the channels-last map: a view cannot be flattened), in both precisions."""
    fns = {}
    for tag, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        cl = torch.channels_last
        x = torch.randn(batch, 32, 12, 12).to(dtype).contiguous(memory_format=cl)
        w = torch.randn(64, 32, 3, 3).to(dtype).contiguous(memory_format=cl)
        gy = torch.randn(batch, 64, 10, 10).to(dtype).contiguous(memory_format=cl)

        def onednn(x=x, w=w, gy=gy):
            return torch.ops.aten.convolution_backward(
                gy, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1,
                [False, True, False])[1]

        def patches(x=x, gy=gy):
            nhwc = x.permute(0, 2, 3, 1)
            s0, s1, s2, _ = nhwc.stride()
            cols = nhwc.as_strided((batch, 10, 10, 3, 3, 32), (s0, s1, s2, s1, s2, 1))
            g = gy.permute(0, 2, 3, 1).reshape(batch * 100, 64)
            return (g.t() @ cols.reshape(batch * 100, 288)).view(64, 3, 3, 32).permute(0, 3, 1, 2)

        a, b = onednn().double(), patches().double()
        assert (a - b).norm() / a.norm() < (1e-5 if dtype == torch.float32 else 1e-2)
        fns[f"onednn {tag}"], fns[f"patches @ {tag}"] = onednn, patches
    return fns


def cpu_ms(fn, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weight-gradient", action="store_true",
                    help="conv2's weight gradient alone: oneDNN against a product of patches")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    what = "weight gradient" if args.weight_gradient else "forward + backward"
    print(f"torch {torch.__version__}, {args.threads} thread(s); CPU ms per {what} "
          f"(median of {args.rounds} alternating rounds), first row / row in brackets")
    for batch in args.batch:
        fns = (weight_gradient_variants if args.weight_gradient else variants)(batch)
        for fn in fns.values():
            fn()  # warm-up: oneDNN's primitives, allocations
        times = {name: [] for name in fns}
        for r in range(args.rounds):
            names = list(fns)[r % len(fns):] + list(fns)[:r % len(fns)]
            for name in names:
                times[name].append(cpu_ms(fns[name], args.calls))
        med = {name: statistics.median(t) for name, t in times.items()}
        first = next(iter(med.values()))
        print(f"\nbatch {batch}")
        for name, ms in med.items():
            gflops = batch * 100 * 64 * 288 * 2 / ms / 1e6
            rate = f", {gflops:.0f} GFLOP per CPU-s" if args.weight_gradient else ""
            print(f"  {name:24s} {ms:7.3f} ms ({first / ms:.2f}){rate}")
        if args.weight_gradient:
            continue
        print("  error against float64: " + ", ".join(
            f"{name} {e:.1e}" for name, e in errors(batch).items()))


if __name__ == "__main__":
    main()
