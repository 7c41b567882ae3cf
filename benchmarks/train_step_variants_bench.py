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

No variant reaches 1.15: the step is oneDNN's convolutions (about 55 % of it) and the first
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
       "denormal", "item-sync", "zero-grad", "dataloader")


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
                      diagnose_every=0, **overrides)
    configure_process(cfg)
    seed_everything(0)
    graph = load_template("seed-cnn")
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
    trainers, compile_s = {}, {}
    for v in variants:
        c0 = time.process_time()
        w0 = time.perf_counter()
        if v == "no-mkldnn":
            torch.backends.mkldnn.enabled = False
        t = make_trainer(v, batch, threads, ds)
        from layerloom.runtime.trainer import epoch_permutation

        t._perm = epoch_permutation(len(t.x_train), 0, 0)
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
    return per_step, walls, compile_s, trainers


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
    ap.add_argument("--profile", action="store_true", help="torch.profiler table of the "
                    "first variant's steps instead")
    args = ap.parse_args()
    if args.profile:
        for b in args.batch:
            profile(b, args.threads, args.steps or max(10, 1280 // b), args.variants[0])
        return
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} rounds; "
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
