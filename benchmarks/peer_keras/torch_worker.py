"""The PyTorch side of a pair: LayerLoom's own ``train`` path, or a hand-written eager loop.

    python torch_worker.py --kind layerloom|hand --template seed-cnn --n 60000 --batch 32 \
        --threads 1 [--set channels_last=off ...]

Run by run.py, one process per measurement, which sends it commands (see protocol.py). The
thread budget is set as PyTorch users set it: ``TrainConfig(num_threads=...)`` or
``torch.set_num_threads``; no pinning.

``layerloom``: ``layerloom.runtime.train`` exactly as the CLI runs it (a RunStore records the run,
metrics stream to it every ``log_every`` steps, a checkpoint is written each epoch), on a Dataset
holding the benchmark arrays as its training split (no validation split, since Keras' ``fit``
validates nothing here). The callback that receives the run's events is where this worker waits
between epochs, so the trainer's own loop is what is timed.

``hand``: the loop a PyTorch user writes: a permutation per epoch, batches indexed from the
in-memory tensors, ``cross_entropy``, ``zero_grad``/``backward``/``step`` with ``torch.optim.Adam``
at its defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

if "--kind" in sys.argv and sys.argv[sys.argv.index("--kind") + 1:][:1] == ["layerloom"]:
    # first, before torch, as in the CLI and the app's run processes: the runtime's process
    # settings (OpenMP's spin count) must be in place when torch loads
    import layerloom.runtime  # noqa: F401

import torch  # noqa: E402
import torch.nn.functional as F

import data  # noqa: E402
import handwritten  # noqa: E402
from protocol import EpochClock, command, cpu_seconds, say  # noqa: E402
from templates import DATASET, template_path  # noqa: E402


def matmul_gflops(n: int = 2048, reps: int = 10) -> dict:
    """fp32 ``n``×``n`` matmul at this process's thread count: the machine's attainable peak,
    per second of wall clock (median and best of ``reps``) and per CPU-second (all reps)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    rates = []
    c0 = cpu_seconds()
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    per_cpu = 2 * n**3 * reps / (cpu_seconds() - c0) / 1e9
    return {"gflops": statistics.median(rates), "best": max(rates), "gflops_per_cpu_s": per_cpu}


class Worker:
    """Answers commands between epochs; ``between()`` returns once an epoch should run."""

    def __init__(self):
        self.clock = EpochClock()
        self.epochs = 0

    def between(self) -> bool:
        """Serve commands until ``epoch`` (True: run one) or ``quit`` (False)."""
        while True:
            cmd = command()
            if cmd == "matmul":
                say(matmul=matmul_gflops())
            elif cmd == "epoch":
                self.clock.start()
                return True
            else:
                return False

    def epoch_done(self, samples: int, **extra) -> None:
        self.epochs += 1
        say(epoch=self.epochs, samples=samples, **self.clock.stop(), **extra)


def tensors(template: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data.load(DATASET[template], n)
    return torch.from_numpy(x), torch.from_numpy(y)


def run_layerloom(args, worker: Worker) -> None:
    from layerloom.graph import load_graph, summarize
    from layerloom.runtime import TrainConfig, train
    from layerloom.runtime.data import Dataset
    from layerloom.runtime.store import RunStore

    graph = load_graph(template_path(args.template))
    x, y = tensors(args.template, args.n)
    classes = [str(c) for c in range(int(y.max()) + 1)]
    test = slice(0, min(1000, len(x)))
    ds = Dataset(name=f"peer-{DATASET[args.template]}", task="classification",
                 input_shape=tuple(x.shape[1:]), dtype="float32", classes=classes,
                 target_dim=None, x_train=x, y_train=y, x_val=x[:0], y_val=y[:0],
                 x_test=x[test], y_test=y[test], source="peer_keras benchmark")
    overrides = dict(_parse_set(args.set))
    config = TrainConfig(optimizer="adam", lr=1e-3, batch_size=args.batch, epochs=1000,
                         num_threads=args.threads, seed=0).replace(**overrides)
    state = {"loss": None}

    def callback(event):
        if event.kind == "start":
            say(ready=True, kind="layerloom", macs=summarize(graph).macs, config=overrides,
                threads=torch.get_num_threads(), env=_openmp_env())
            return None if worker.between() else "stop"
        if event.kind == "step":
            state["loss"] = event.metrics.get("loss")
        if event.kind == "epoch":
            worker.epoch_done(len(x), loss=event.metrics.get("train_loss"),
                              accuracy=event.metrics.get("train_accuracy"))
            return None if worker.between() else "stop"
        return None

    with tempfile.TemporaryDirectory(prefix="peer-keras-") as tmp:
        store = RunStore(f"{tmp}/runs.db")
        result = train(graph, ds, config, callback=callback, store=store, name="peer-keras")
        store.close()
    say(done=True, status=result.status, metrics=result.metrics)


def run_hand(args, worker: Worker) -> None:
    from layerloom.graph import load_graph, summarize

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = tensors(args.template, args.n)
    model = handwritten.build(args.template)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    macs = summarize(load_graph(template_path(args.template))).macs
    say(ready=True, kind="hand", macs=macs, threads=torch.get_num_threads(),
        env=_openmp_env())
    n, b = len(x), args.batch
    while worker.between():
        model.train()
        total = torch.zeros(())
        for idx in torch.randperm(n).split(b):
            if len(idx) < 2:
                continue  # BatchNorm cannot normalise a single sample (LayerLoom skips it too)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(idx)
        worker.epoch_done(n, loss=total.item() / n)
    say(done=True)


def _openmp_env() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_", "KMP_"))}


def _parse_set(items: list[str]):
    for item in items:
        key, _, value = item.partition("=")
        try:
            yield key, json.loads(value)
        except json.JSONDecodeError:
            yield key, value


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("layerloom", "hand"), required=True)
    p.add_argument("--template", default="seed-cnn", choices=sorted(DATASET))
    p.add_argument("--n", type=int, default=data.N)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a TrainConfig field for the LayerLoom side (JSON value)")
    args = p.parse_args()
    worker = Worker()
    (run_layerloom if args.kind == "layerloom" else run_hand)(args, worker)


if __name__ == "__main__":
    main()
