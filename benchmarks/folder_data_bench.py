"""Image folders from disk keep up with the seed CNN (issue 17).

The seed-cnn template trains one epoch on mnist-5k's training images in two forms, in
alternating rounds after a warm-up round: (1) the in-memory path (the decoded tensors), and
(2) the same images written out as a folder of PNGs (one sub-folder per class) and read with
``load_dataset(folder)``: decoded as training goes by DataLoader workers. Both runs use the
same settings and the same split of the same images; the figure is the median ratio of the
training samples/s the runs report (folder / in-memory) over the rounds, which must be ≥ 0.9.
The whole epoch's ratio (the validation pass included: its images are decoded too) and the
ratio per CPU second (training process and reaped workers) are shown beside it: on a shared
machine the wall clock also measures the neighbours.

    python benchmarks/folder_data_bench.py                 # 3 rounds, default workers, 1 thread
    python benchmarks/folder_data_bench.py --rounds 5 --workers 2 --threads 2
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from layerloom.graph.templates import load_template
from layerloom.runtime import TrainConfig, load_dataset, train
from layerloom.runtime.data import Dataset


def write_folder(ds, root: Path) -> int:
    """The training and validation images of ``ds`` as PNGs in class folders (the test split is
    left out: the benchmark times training)."""
    count = 0
    for split in ("train", "val"):
        x, y = ds.preview(len(getattr(ds, f"x_{split}"))) if split == "train" else (
            _undo(ds, ds.x_val), ds.y_val)
        for pixels, label in zip(x, y):
            folder = root / ds.classes[int(label)]
            folder.mkdir(parents=True, exist_ok=True)
            image = np.clip(pixels[0].numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
            Image.fromarray(image).save(folder / f"{split}{count:05d}.png")
            count += 1
    return count


def _undo(ds, x):
    mean, std = ds.normalization["mean"][0], ds.normalization["std"][0]
    return x * std + mean


def in_memory(ds) -> Dataset:
    """The folder dataset decoded whole: the in-memory path on the very same samples."""
    fields = {f"x_{s}": getattr(ds, f"x_{s}")[:] for s in ("train", "val", "test")}
    return Dataset(ds.name, ds.task, ds.input_shape, ds.dtype, ds.classes, None,
                   y_train=ds.y_train, y_val=ds.y_val, y_test=ds.y_test,
                   normalization=ds.normalization, **fields)


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def epoch_rate(graph, ds, config: TrainConfig) -> tuple[float, float, float]:
    """One epoch's training samples/s as the run reports it (its ``samples_per_s``, over the
    steps after the first report: training only, the validation pass left out), the whole
    epoch's samples/s (validation included) by the wall clock, and by CPU time."""
    rates = []

    def collect(event) -> None:
        if event.kind == "step" and event.step > 1:
            rates.append(event.metrics["samples_per_s"])

    cpu0 = cpu_seconds()
    result = train(graph, ds, config, callback=collect)
    cpu = cpu_seconds() - cpu0
    n = len(ds.x_train)
    steps = len(rates) / sum(1 / r for r in rates)  # equal samples per interval: harmonic mean
    return steps, n / result.history[-1]["time"], n / max(cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None,
                        help="decoding processes (default: the runtime's, 2 on a 2-core machine)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    graph = load_template("seed-cnn")
    source = load_dataset("mnist-5k")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "digits"
        started = time.perf_counter()
        count = write_folder(source, root)
        print(f"wrote {count} PNGs of 28×28 in {len(source.classes)} class folders "
              f"({time.perf_counter() - started:.1f} s)")
        folder = load_dataset(root, seed=0, val_fraction=0.1, test_fraction=0.0)
        memory = in_memory(folder)
        config = TrainConfig(epochs=1, batch_size=32, num_threads=args.threads,
                             data_workers=args.workers, diagnose_every=0, log_every=10)
        epoch_rate(graph, memory, config)  # warm-up round: first-use costs, caches
        epoch_rate(graph, folder, config)
        steps, whole, cpu = [], [], []
        for r in range(args.rounds):
            mem = epoch_rate(graph, memory, config)
            got = epoch_rate(graph, folder, config)
            steps.append(got[0] / mem[0])
            whole.append(got[1] / mem[1])
            cpu.append(got[2] / mem[2])
            print(f"round {r + 1}: training in-memory {mem[0]:,.0f} samples/s, folder "
                  f"{got[0]:,.0f} samples/s (ratio {steps[-1]:.3f}); whole epoch with "
                  f"validation {whole[-1]:.3f}; per CPU second {cpu[-1]:.3f}")
    ratio = statistics.median(steps)
    from layerloom.runtime.data.folder import default_workers

    workers = default_workers() if args.workers is None else args.workers
    print(f"seed-cnn, {len(folder.x_train)} training images, batch 32, {args.threads} "
          f"thread(s), {workers} worker(s)")
    print(f"folder / in-memory training samples/s (median of {args.rounds}): {ratio:.3f} "
          f"(target ≥ 0.9: {'met' if ratio >= 0.9 else 'NOT met'}); whole epoch with "
          f"validation {statistics.median(whole):.3f}; per CPU second "
          f"{statistics.median(cpu):.3f}")

if __name__ == "__main__":
    main()
