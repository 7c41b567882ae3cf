"""Variants of the trainer's step on seed-cnn, per CPU-second, as ratios to today's eager step.

Every variant is a real :class:`layerloom.runtime.trainer.Trainer` (same weights, same data, one
thread unless ``--threads``), built in this one process; the variants then take turns in blocks
of ``--steps`` steps (ABAB..., the order rotated each round) so that a drift in the machine's load
falls on all of them alike. A variant's figure is the median over rounds of its CPU time per
step (``time.process_time``: all threads of the process), and the table gives
``eager / variant`` (above 1: the variant is faster). Compilation happens before the timed
rounds (its time is printed separately).

    .venv/bin/python benchmarks/train_step_variants_bench.py --batch 32 128
    .venv/bin/python benchmarks/train_step_variants_bench.py --batch 128 --variants eager compile \\
        --rounds 8 --steps 20 --threads 2
    .venv/bin/python benchmarks/train_step_variants_bench.py --profile --batch 32   # where a step goes

Variants (``--variants``):

- ``eager``: ``Trainer.train_step`` as the trainer runs it.
- ``compile``: the same through ``torch.compile`` of the model (inductor, CPU).
- ``compile-max``: ``torch.compile(mode="max-autotune-no-cudagraphs")`` of the model.
- ``compile-step``: forward and loss compiled as one function, the optimizer step compiled too.
- ``foreach``: Adam with the foreach kernels instead of the fused one (eager).
- ``no-mkldnn``: eager with ``torch.backends.mkldnn`` off (PyTorch's own convolutions).
- ``eager-cf``: eager in channels-first layout (``channels_last=off``).
- ``denormal``: eager with ``torch.set_flush_denormal(True)`` while it runs.
- ``item-sync``: eager with the loss read (``.item()``) after every step, as many loops do.
- ``zero-grad``: eager with ``zero_grad(set_to_none=False)`` (gradients zeroed, not dropped).
- ``dataloader``: eager fed by a ``torch.utils.data.DataLoader`` (shuffled, batch collation in
  this process, ``pin_memory`` off on a CPU) instead of slicing the in-memory tensors.
- ``stem-wgrad``: conv1's weight and bias gradients as one batched matrix product of its 3×3
  input patches (``F.unfold``) with the output gradient, instead of oneDNN's weight-gradient
  kernel (which is slow for one input channel when timed alone: 1.06 against 0.54 ms at batch 32).
- ``stem-fp32``: with ``--precision bf16-mixed``, conv1 (and so pooling 1 and its ReLU) in
  float32 outside autocast; conv2 casts its input to bfloat16 as before.
- ``no-pool-relu``: eager without the second stage's pooling and ReLU fused into one C loop
  (``runtime/fused_pool.py``): the two modules as before.
- ``no-widen``: with ``--precision bf16-mixed``, the second stage's loop hands its bfloat16
  map to the float32 head as the modules do (the head casts it, and its gradient back),
  instead of handing on float32 itself.
- ``no-amx-conv``: with ``--precision bf16-mixed`` on a CPU with AMX, conv2 through oneDNN as
  autocast runs it, instead of LayerLoom's own kernel on the tiles (``runtime/amx_conv.py``).
- ``direct-bf16-conv``: with ``--precision bf16-mixed``, conv2 through an autograd function that
  rounds its weight and bias to bfloat16 itself and calls aten's ``convolution`` and
  ``convolution_backward`` on them, instead of autocast's casts (two ``ToCopyBackward`` nodes a
  step, the weight's and bias's gradients cast back to float32 by autograd): the same oneDNN
  kernels and the same gradients bit for bit, the cost of autocast's casts laid bare.
- ``no-crop``: eager without the crop of unread edges (``runtime/unread_edges.py``): the image
  kept at 28×28, so conv2 computes the 11th row and column its pooling drops.

``--precision bf16-mixed`` runs every variant under the trainer's bf16 autocast.

Measured 2026-12-04 (torch 2.13.0+cpu, AVX-512 Xeon, one thread, 6 rounds; the 2-core machine
shared, load average 4-11, so read the CPU ratios; wall ratios are noisier), eager / variant:

| variant | batch 32 | batch 128 |
|---|---|---|
| compile (inductor, default mode) | 0.68 | 0.66 |
| compile max-autotune-no-cudagraphs | 0.67 | 0.66 |
| compile-step (forward+loss and the optimizer step compiled) | 0.66 | 0.66 |
| foreach Adam instead of fused | 0.95 | 1.00 |
| no-mkldnn | 0.46 | 0.40 |
| eager-cf (channels-first) | 0.60 | 0.58 |
| denormal | 1.01 | 1.00 |
| item-sync | 1.02 | 1.01 |
| zero-grad (set_to_none=False) | 0.99 | 1.02 |
| dataloader | 0.98 | 0.99 |

Measured 2026-12-05 (same CPU kind, quiet machine, load average ~1, 6 rounds), eager / variant,
CPU per step (gradients checked against eager's on the same weights and batch: 1e-6 relative in
fp32; bf16 differs in its own rounding, 2e-3, and 8e-2 for stem-fp32, whose conv1 is then float32):

| variant | fp32 b32 | fp32 b128 | bf16 b32 | bf16 b128 | bf16 b32, 2 threads |
|---|---|---|---|---|---|
| stem-wgrad (conv1's weight gradient as one bmm of patches) | 0.95 | 0.92 | 0.92 | 0.89 | 0.90 |
| stem-fp32 (conv1 and pooling 1 in float32 under bf16) | | | 0.97 | 0.83 | 0.94 |

Timed alone, oneDNN's weight gradient for conv1 (one input channel) takes twice the batched
product (1.06 against 0.54 ms at batch 32); inside a step it does not, and the patches cost more
than they save.

Measured 2026-12-06 (AMD EPYC, Zen 4, quiet 2-core machine, 12 rounds), eager / ``no-crop``, CPU
per step, with its inverse (how much faster the crop makes the step) in brackets; the gradients
of the first batch equal eager's bit for bit in every case:

| threads | precision | batch 32 | batch 128 |
|---|---|---|---|
| 1 | fp32 | 0.86 (1.17×) | 0.86 (1.17×) |
| 1 | bf16-mixed | 0.87 (1.15×) | 0.87 (1.15×) |
| 2 | fp32 | 0.89 (1.12×) | 0.86 (1.17×) |
| 2 | bf16-mixed | 0.93 (1.07×) | 0.90 (1.11×) |

The arithmetic the crop leaves is 100/121 of conv2's and 144/169 of the first stage's pooled
map: the fp32 step loses that saving nearly in full.

Before the crop (the 2026-12-04 and 12-05 tables above), no variant reached 1.15: the step is oneDNN's convolutions (about 55 % of it) and the first
stage's memory traffic (max pooling on 128x32x26x26 maps, its backward's zero fill of the input
gradient: about 30 % at batch 128), the same kernels whatever runs them. Inductor calls the same
oneDNN convolutions and adds generated pooling code slower than aten's channels-last kernels plus
layout copies of the 26x26x32 maps (7.7 ms per step at batch 128 with the pooling left to aten
through ``make_fallback``: still 0.64-0.69). Keras' side does not use XLA either: Keras 3 turns
``jit_compile="auto"`` off on a machine without a GPU (``jit_compile: false`` in every run of
benchmarks/peer_keras).
"""

from __future__ import annotations

import argparse
import statistics
import time

import layerloom.runtime  # noqa: F401  (before torch, as the CLI: OpenMP's spin count)
import torch

from layerloom.graph.templates import load_template

ALL = ("eager", "compile", "compile-max", "compile-step", "foreach", "no-mkldnn", "eager-cf",
       "denormal", "item-sync", "zero-grad", "dataloader", "stem-wgrad", "stem-fp32", "no-crop",
       "no-pool-relu", "no-widen", "no-amx-conv", "direct-bf16-conv")
PRECISION = "fp32"  # --precision


def make_dataset(n: int, seed: int = 0):
    from layerloom.runtime.data import Dataset

    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    return Dataset(name="bench", task="classification", input_shape=(1, 28, 28),
                   dtype="float32", classes=[str(c) for c in range(10)], target_dim=None,
                   x_train=x, y_train=y, x_val=x[:0], y_val=y[:0], x_test=x[:0], y_test=y[:0])


def make_trainer(variant: str, batch: int, threads: int, ds):
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.device import configure_process, seed_everything
    from layerloom.runtime.model import prepare_model
    from layerloom.runtime.trainer import Trainer

    overrides = {}
    if variant == "eager-cf":
        overrides["channels_last"] = "off"
    cfg = TrainConfig(batch_size=batch, epochs=1, num_threads=threads, seed=0,
                      diagnose_every=0, precision=PRECISION, **overrides)
    configure_process(cfg)
    seed_everything(0)
    graph = load_template("seed-cnn")
    if variant in ("no-crop", "no-pool-relu", "no-widen", "no-amx-conv"):  # as before that rewrite
        from layerloom.runtime import rewrite

        name = {"no-crop": "crop_unread_edges", "no-pool-relu": "fuse_pool_relu",
                "no-widen": "widen_for_float32_heads", "no-amx-conv": "route_amx_convs"}[variant]
        keep = getattr(rewrite, name)
        setattr(rewrite, name, lambda gm: 0)
        try:
            prepared = prepare_model(graph, ds, cfg)
        finally:
            setattr(rewrite, name, keep)
    else:
        prepared = prepare_model(graph, ds, cfg)
    trainer = Trainer(prepared, ds, cfg)
    if variant == "compile":
        trainer.model = torch.compile(trainer.net)
    elif variant == "compile-max":
        trainer.model = torch.compile(trainer.net, mode="max-autotune-no-cudagraphs")
    elif variant == "foreach":
        from layerloom.runtime.optim import LeanAdam

        trainer.optimizer = LeanAdam(trainer.net.parameters(), lr=cfg.lr, foreach=True)
    elif variant == "compile-step":
        trainer.train_step = _compiled_step(trainer)
    elif variant == "item-sync":
        plain = trainer.train_step

        def synced(x, y, global_batch):
            plain(x, y, global_batch)
            trainer._loss_acc.item()

        trainer.train_step = synced
    elif variant == "stem-wgrad":
        _patch_weight_gradient(trainer.net.conv1)
    elif variant == "stem-fp32":
        conv1 = trainer.net.conv1
        plain_forward = conv1.forward

        def fp32_forward(x):
            with torch.autocast("cpu", enabled=False):
                return plain_forward(x.float())

        conv1.forward = fp32_forward
    elif variant == "direct-bf16-conv":
        _direct_bf16_conv(trainer.net.conv2)
    elif variant == "zero-grad":
        zero = trainer.optimizer.zero_grad
        trainer.optimizer.zero_grad = lambda set_to_none=True: zero(set_to_none=False)
    if variant == "dataloader":
        from torch.utils.data import DataLoader, TensorDataset

        loader = DataLoader(TensorDataset(trainer.x_train, trainer.y_train), batch_size=batch,
                            shuffle=True, drop_last=True)
        trainer._loader = (loader, iter(loader))
    trainer.model.train()
    return trainer


class _PatchWeightGradient(torch.autograd.Function):
    """A convolution whose input needs no gradient: oneDNN's forward; the weight and bias
    gradients as ``sum_n patches[n] @ grad[n]`` (one ``bmm``) and a sum."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return torch.nn.functional.conv2d(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        n, c_out, h, w = grad.shape
        patches = torch.nn.functional.unfold(x.to(grad.dtype), weight.shape[-2:])  # [n, CKK, L]
        if grad.is_contiguous(memory_format=torch.channels_last):
            g = grad.permute(0, 2, 3, 1).reshape(n, h * w, c_out)  # a view
            dw, db = torch.bmm(patches, g).sum(0).t(), g.sum((0, 1))
        else:
            g = grad.reshape(n, c_out, h * w)
            dw, db = torch.bmm(g, patches.transpose(1, 2)).sum(0), g.sum((0, 2))
        return None, dw.reshape(weight.shape).to(weight.dtype), db.to(weight.dtype)


def _patch_weight_gradient(conv: torch.nn.Conv2d) -> None:
    def forward(x):
        if torch.is_autocast_enabled("cpu"):
            dtype = torch.get_autocast_dtype("cpu")
            with torch.autocast("cpu", enabled=False):
                return _PatchWeightGradient.apply(x.to(dtype), conv.weight.to(dtype),
                                                  conv.bias.to(dtype))
        return _PatchWeightGradient.apply(x, conv.weight, conv.bias)

    conv.forward = forward


class _DirectBF16Conv(torch.autograd.Function):
    """A convolution in bfloat16 whose weight and bias are rounded here, not by autocast: the
    same kernels (aten's ``convolution`` and ``convolution_backward``), no cast in the graph."""

    @staticmethod
    def forward(ctx, x, weight, bias, conv):
        w16 = weight.detach().to(torch.bfloat16)
        b16 = bias.detach().to(torch.bfloat16) if bias is not None else None
        ctx.save_for_backward(x, w16)
        ctx.conv, ctx.has_bias = conv, bias is not None
        return torch.ops.aten.convolution(x, w16, b16, conv.stride, conv.padding,
                                          conv.dilation, False, [0, 0], conv.groups)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, w16 = ctx.saved_tensors
        conv, (want_x, want_w, want_b) = ctx.conv, ctx.needs_input_grad[:3]
        gx, gw, gb = torch.ops.aten.convolution_backward(
            grad.to(torch.bfloat16), x, w16, [len(w16)] if ctx.has_bias else None, conv.stride,
            conv.padding, conv.dilation, False, [0, 0], conv.groups,
            [want_x, want_w, want_b and ctx.has_bias])
        return gx, None if gw is None else gw.float(), None if gb is None else gb.float(), None


def _direct_bf16_conv(conv: torch.nn.Conv2d) -> None:
    def forward(x):
        if not torch.is_autocast_enabled("cpu"):
            raise SystemExit("direct-bf16-conv: run it with --precision bf16-mixed")
        return _DirectBF16Conv.apply(x.to(torch.bfloat16), conv.weight, conv.bias, conv)

    conv.forward = forward


def _compiled_step(trainer):
    """Forward + loss compiled as one graph (backward through AOTAutograd), optimizer step
    compiled too."""
    model, task, opt = trainer.net, trainer.task, trainer.optimizer
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    trainer.optimizer = opt

    @torch.compile
    def loss_of(x, target):
        out = model(x)
        return task.per_sample_loss(out.float(), target).sum(), out

    @torch.compile
    def opt_step():
        opt.step()

    def step(x, y, global_batch):
        target = task.target(x, y)
        loss_sum, out = loss_of(x, target)
        (loss_sum * (1 / global_batch)).backward()
        opt_step()
        opt.zero_grad(set_to_none=True)
        trainer._loss_acc += loss_sum.detach()
        trainer._metric_acc += task.metric_sum(out.detach(), target)

    return step


def run_steps(trainer, k: int, start: int) -> None:
    n = trainer.steps_per_epoch
    b = trainer.config.batch_size
    perm = trainer._perm
    step = trainer.train_step
    loader = getattr(trainer, "_loader", None)
    for i in range(start, start + k):
        if loader is not None:
            batch = next(loader[1], None)
            if batch is None:
                trainer._loader = loader = (loader[0], iter(loader[0]))
                batch = next(loader[1])
            x, y = batch
            if trainer.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            step(x, y, len(y))
        else:
            p = i % n
            index = perm[p * b:(p + 1) * b]
            step(trainer.x_train[index], trainer.y_train[index], len(index))
        trainer.state.step += 1
    trainer._loss_acc.item()  # the device catches up (a no-op on CPUs)


def measure(variants, batch, threads, rounds, steps, n):
    ds = make_dataset(n)
    trainers, compile_s, grads = {}, {}, {}
    for v in variants:
        c0 = time.process_time()
        w0 = time.perf_counter()
        if v == "no-mkldnn":
            torch.backends.mkldnn.enabled = False
        t = make_trainer(v, batch, threads, ds)
        from layerloom.runtime.trainer import epoch_permutation

        t._perm = epoch_permutation(len(t.x_train), 0, 0)
        grads[v] = first_gradients(t)
        run_steps(t, 3, 0)  # warm-up (compiles)
        torch.backends.mkldnn.enabled = True
        compile_s[v] = (time.perf_counter() - w0, time.process_time() - c0)
        trainers[v] = t
    per_step = {v: [] for v in variants}
    walls = {v: [] for v in variants}
    position = 3
    for r in range(rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for v in order:
            torch.backends.mkldnn.enabled = v != "no-mkldnn"
            torch.set_flush_denormal(v == "denormal")
            c0, w0 = time.process_time(), time.perf_counter()
            run_steps(trainers[v], steps, position)
            per_step[v].append((time.process_time() - c0) / steps)
            walls[v].append((time.perf_counter() - w0) / steps)
            torch.backends.mkldnn.enabled = True
            torch.set_flush_denormal(False)
        position += steps
    if "eager" in grads:  # the same weights and batch: how far each variant's gradients are
        for v in variants:
            gap = max(float((a - b).norm() / a.norm()) for a, b in zip(grads["eager"], grads[v]))
            print(f"{v}: gradients' largest relative difference from eager's {gap:.1e}")
    return per_step, walls, compile_s, trainers


def first_gradients(trainer) -> list[torch.Tensor]:
    """Every parameter's gradient for the first batch (nothing stepped, gradients cleared)."""
    b = trainer.config.batch_size
    index = trainer._perm[:b]
    x, y = trainer.x_train[index], trainer.y_train[index]
    with trainer.autocast():
        out = trainer.model(x)
        loss = trainer.task.per_sample_loss(out.float(), trainer.task.target(x, y)).mean()
    loss.backward()
    grads = [p.grad.detach().float().clone() for p in trainer.net.parameters()]
    trainer.optimizer.zero_grad(set_to_none=True)
    return grads


def profile(batch, threads, steps, variant="eager"):
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as prof

    ds = make_dataset(4096)
    t = make_trainer(variant, batch, threads, ds)
    from layerloom.runtime.trainer import epoch_permutation

    t._perm = epoch_permutation(len(t.x_train), 0, 0)
    run_steps(t, 10, 0)
    with prof(activities=[ProfilerActivity.CPU]) as p:
        run_steps(t, steps, 10)
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", nargs="+", default=["eager", "compile"], choices=ALL)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=0, help="steps per block (default: 40 at "
                    "batch 32, scaled to the same number of samples)")
    ap.add_argument("--n", type=int, default=8192, help="training samples held")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16-mixed"))
    ap.add_argument("--profile", action="store_true", help="torch.profiler table of the "
                    "first variant's steps instead")
    args = ap.parse_args()
    global PRECISION
    PRECISION = args.precision
    if args.profile:
        for b in args.batch:
            profile(b, args.threads, args.steps or max(10, 1280 // b), args.variants[0])
        return
    print(f"torch {torch.__version__}, {args.precision}, {args.threads} thread(s), "
          f"{args.rounds} rounds; "
          f"figures: eager CPU time per step / variant's (median of rounds)")
    for b in args.batch:
        steps = args.steps or max(10, 1280 // b)
        per_step, walls, compile_s, _ = measure(args.variants, b, args.threads, args.rounds,
                                                steps, args.n)
        base = statistics.median(per_step["eager"]) if "eager" in per_step else None
        base_w = statistics.median(walls["eager"]) if "eager" in walls else None
        print(f"\nbatch {b}, {steps} steps per block")
        print(f"{'variant':14} {'CPU ms/step':>11} {'ratio CPU':>9} {'ratio wall':>10} "
              f"{'spread':>13} {'set-up s (wall, CPU)':>22}")
        for v in args.variants:
            med = statistics.median(per_step[v])
            ratios = [base / x for x in per_step[v]] if base else []
            ratio = f"{base / med:.3f}" if base else "-"
            ratio_w = f"{base_w / statistics.median(walls[v]):.3f}" if base_w else "-"
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else ""
            w, c = compile_s[v]
            print(f"{v:14} {med * 1e3:11.3f} {ratio:>9} {ratio_w:>10} {spread:>13} "
                  f"{w:10.1f} {c:10.1f}")


if __name__ == "__main__":
    main()
