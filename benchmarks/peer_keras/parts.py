"""Which part of the seed CNN's training step is faster in Keras and which in PyTorch.

    .venv/bin/python benchmarks/peer_keras/parts.py                 # both sides, the table
    .venv/bin/python benchmarks/peer_keras/parts.py --batches 128 --repeats 3

The whole-model benchmark (run.py) gives one ratio per cell. This one trains parts of the model
on each side, one thread, the same way (a shuffled epoch of ``fit`` in Keras; the loop of
handwritten.py in PyTorch, with LayerLoom's process settings: glibc keeps freed memory, the
ReLU after each pooling), and reports CPU milliseconds per step (median of 3 timed epochs,
whole processes in ABBA order, ``--repeats`` times):

- ``full``: conv1 32 → pool → conv2 64 → pool → Flatten → Dense 10 (the benchmark's model)
- ``stage1``: conv1 32 → pool → Flatten → Dense 10 (the first stage, its gradients, a head)
- ``conv2``: a 13×13×32 input → conv2 64 → pool → Flatten → Dense 10 (conv2 without its input
  gradient; random inputs, larger than an image: the input pipeline costs more here)
- ``head``: Flatten → Dense 10 on the images (the per-step cost of the loop itself)

Images: the benchmark's (data.py), channels-last in both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = ("full", "stage1", "conv2", "head")
KERAS_PYTHON = HERE / ".venv-keras" / "bin" / "python"


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def arrays(variant: str, n: int):
    import numpy as np

    sys.path.insert(0, str(HERE))
    import data

    x, y = data.load("images", n)
    if variant == "conv2":
        x = np.random.default_rng(0).standard_normal((n, 32, 13, 13)).astype(np.float32)
    return x, y.astype(np.int64)


def keras_side(variant: str, batch: int, steps: int, epochs: int) -> list[float]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    x, y = arrays(variant, batch * steps)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    stage1 = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2)]
    stage2 = [layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2)]
    body = {"full": stage1 + stage2, "stage1": stage1, "conv2": stage2, "head": []}[variant]
    model = keras.Sequential([keras.Input(shape=x.shape[1:]), *body, layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    times = []

    class Clock(keras.callbacks.Callback):  # one fit: the first epoch warms up (traces)
        def on_epoch_begin(self, epoch, logs=None):
            self.start = cpu_seconds()

        def on_epoch_end(self, epoch, logs=None):
            if epoch:
                times.append((cpu_seconds() - self.start) / steps * 1e3)

    model.fit(x, y, batch_size=batch, epochs=epochs + 1, verbose=0, shuffle=True,
              callbacks=[Clock()])
    return times


def torch_side(variant: str, batch: int, steps: int, epochs: int) -> list[float]:
    import layerloom.runtime  # noqa: F401  (first: the runtime's process settings)
    from layerloom.runtime.device import keep_freed_memory

    keep_freed_memory()
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y = (torch.from_numpy(a) for a in arrays(variant, batch * steps))
    x = x.contiguous(memory_format=torch.channels_last)
    stage1 = [nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.ReLU(inplace=True)]
    stage2 = [nn.Conv2d(32, 64, 3), nn.MaxPool2d(2), nn.ReLU(inplace=True)]
    features = {"full": 1600, "stage1": 13 * 13 * 32, "conv2": 1600, "head": 784}[variant]
    body = {"full": stage1 + stage2, "stage1": stage1, "conv2": stage2, "head": []}[variant]
    model = nn.Sequential(*body, nn.Flatten(), nn.Linear(features, 10))
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)

    def epoch():
        for idx in torch.randperm(len(x)).split(batch):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    epoch()
    times = []
    for _ in range(epochs):
        c = cpu_seconds()
        epoch()
        times.append((cpu_seconds() - c) / steps * 1e3)
    return times


def run_side(side: str, variant: str, batch: int, steps: int, epochs: int) -> list[float]:
    python = str(KERAS_PYTHON) if side == "keras" else sys.executable
    out = subprocess.run([python, __file__, "--side", side, "--variant", variant,
                          "--batch", str(batch), "--steps", str(steps), "--epochs", str(epochs)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", choices=("keras", "torch"), help="(internal) run one side")
    p.add_argument("--variant", choices=VARIANTS, default="full")
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    p.add_argument("--steps", type=int, default=100, help="steps per epoch")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per process")
    p.add_argument("--repeats", type=int, default=1, help="ABBA pairs per cell")
    args = p.parse_args()
    if args.side:
        side = keras_side if args.side == "keras" else torch_side
        print(json.dumps(side(args.variant, args.batch, args.steps, args.epochs)))
        return
    if not KERAS_PYTHON.exists():
        sys.exit(f"{KERAS_PYTHON} is missing: run benchmarks/peer_keras/run.py once to make it")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"started {started}, load average {os.getloadavg()[0]:.1f}; CPU ms per step, "
          f"one thread, median of {args.epochs} epochs x {args.repeats * 2} processes a side")
    print("\n| part | batch | Keras | LayerLoom's PyTorch | Keras − PyTorch |")
    print("|---|---|---|---|---|")
    for batch in args.batches:
        for variant in args.variants:
            got = {"keras": [], "torch": []}
            for _ in range(args.repeats):
                for side in ("torch", "keras", "keras", "torch"):
                    got[side] += run_side(side, variant, batch, args.steps, args.epochs)
            k, t = statistics.median(got["keras"]), statistics.median(got["torch"])
            print(f"| {variant} | {batch} | {k:.2f} | {t:.2f} | {k - t:+.2f} |", flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
