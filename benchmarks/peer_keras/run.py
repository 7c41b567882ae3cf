"""LayerLoom against Keras 3 (and against hand-written PyTorch), side by side on this CPU.

    .venv/bin/python benchmarks/peer_keras/run.py            # the full run (about half an hour)
    .venv/bin/python benchmarks/peer_keras/run.py --quick    # fewer samples, for trying changes

Part 1, the issue's comparison: the design note's model, in Keras (its own virtual environment,
``.venv-keras``, made on first use) and as LayerLoom's ``seed-cnn`` template trained through
``layerloom.runtime.train``, on the same 60,000 arrays (data.py), Adam 1e-3, batch 32 and 128, one
thread and then two. Part 2: ``seed-cnn``, ``resnet-mini`` and ``mlp-tabular`` through LayerLoom
against a hand-written eager PyTorch loop over the same tensors.

Each side of a pair is a worker process pinned to as many cores as it has threads. Both set up,
train one warm-up epoch each, then ``--rounds`` epochs each, alternating (A B, B A, A B, ...), so
that whatever else the machine does falls on both. The LayerLoom worker also times a 2048² fp32
matmul each round at the same thread count: the machine's attainable peak. A model's GFLOP/s is
``3 × forward MACs × 2 × samples/s`` (``summarize(graph).macs``; backward counted as twice the
forward).

Printed: median samples/s of the timed epochs (wall clock) with min–max, samples per CPU-second,
GFLOP/s and share of the matmul peak, and the ratio LayerLoom / other (of the medians, and the
range of the per-round ratios). ``--markdown FILE`` writes the tables; results/*.json keeps all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402
from protocol import MARK  # noqa: E402

KERAS_VENV = HERE / ".venv-keras"
# Versions that install on Python 3.11 x86-64 from the package registry (checked 2026-11).
KERAS_PACKAGES = ("tensorflow-cpu==2.21.0", "keras==3.15.1")
RESULTS = HERE / "results"
MAIN_PYTHON = sys.executable


# -- the Keras environment -------------------------------------------------------------------

def keras_python() -> Path:
    return KERAS_VENV / "bin" / "python"


def ensure_keras_venv() -> Path:
    """Create ``.venv-keras`` with tensorflow-cpu and keras unless it works already."""
    python = keras_python()
    if python.exists() and _imports_keras(python):
        return python
    print(f"setting up {KERAS_VENV} ({', '.join(KERAS_PACKAGES)}) ...", flush=True)
    base = os.environ.get("PEER_KERAS_BASE_PYTHON", "python3.11")
    subprocess.run([base, "-m", "venv", str(KERAS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *KERAS_PACKAGES, "numpy"],
                   check=True)
    if not _imports_keras(python):
        raise SystemExit(f"{python} cannot import tensorflow and keras; see the pip output above")
    return python


def _imports_keras(python: Path) -> bool:
    probe = "import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'; import tensorflow, keras"
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


# -- workers ---------------------------------------------------------------------------------

class Worker:
    """One side of a pair: a process pinned to ``threads`` cores, driven line by line."""

    def __init__(self, label: str, argv: list[str], threads: int, log: Path):
        cpus = sorted(os.sched_getaffinity(0))[:threads]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
        self.label, self.log_path = label, log
        self.log = open(log, "w")  # noqa: SIM115  (closed in close())
        self.proc = subprocess.Popen(argv, cwd=HERE, env=env, text=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        self.info = self.read()
        if not self.info.get("ready"):
            self.fail(f"did not start: {self.info}")

    def read(self) -> dict:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.fail("exited")
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
            self.log.write(line)

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> dict:
        final = {}
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            final = self.read()
            self.proc.wait(timeout=120)
        except (BrokenPipeError, RuntimeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return final

    def fail(self, what: str):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        tail = "".join(self.log_path.read_text().splitlines(keepends=True)[-25:])
        raise RuntimeError(f"{self.label} worker {what}; the end of {self.log_path}:\n{tail}")


def torch_argv(kind: str, template: str, n: int, batch: int, threads: int, sets: list[str]):
    argv = [MAIN_PYTHON, str(HERE / "torch_worker.py"), "--kind", kind, "--template", template,
            "--n", str(n), "--batch", str(batch), "--threads", str(threads)]
    for item in sets if kind == "layerloom" else ():
        argv += ["--set", item]
    return argv


def keras_argv(n: int, batch: int, threads: int):
    return [str(keras_python()), str(HERE / "keras_worker.py"), "--n", str(n), "--batch",
            str(batch), "--threads", str(threads)]


# -- one pair --------------------------------------------------------------------------------

@dataclass
class Side:
    label: str
    epochs: list[dict] = field(default_factory=list)

    def rates(self) -> list[float]:
        return [e["samples"] / e["seconds"] for e in self.epochs]

    def cpu_rates(self) -> list[float]:
        return [e["samples"] / e["cpu_seconds"] for e in self.epochs]


def run_pair(name: str, a: tuple[str, list[str]], b: tuple[str, list[str]], threads: int,
             rounds: int, log_dir: Path) -> dict:
    """Warm-up, then ``rounds`` alternating epochs of sides ``a`` (LayerLoom) and ``b``."""
    print(f"  {name}: starting {a[0]} and {b[0]} ...", flush=True)
    workers, sides = [], [Side(a[0]), Side(b[0])]
    try:
        for label, argv in (a, b):
            workers.append(Worker(label, argv, threads, log_dir / f"{name}-{label}.log"))
        for w in workers:
            w.ask("epoch")  # warm-up: allocations, one-off set-up, Keras' tracing
        matmuls = []
        for r in range(rounds):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for i in order:
                sides[i].epochs.append(workers[i].ask("epoch"))
            if workers[0].info.get("kind") != "keras":
                matmuls.append(workers[0].ask("matmul")["matmul"])
        finals = [w.close() for w in workers]
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
    la, lb = sides[0].rates(), sides[1].rates()
    paired = [x / y for x, y in zip(la, lb, strict=True)]
    result = {"name": name, "threads": threads, "macs": workers[0].info.get("macs"),
              "matmul": matmuls, "paired_ratios": paired,
              "ratio": statistics.median(la) / statistics.median(lb),
              "sides": {s.label: {"epochs": s.epochs, "info": w.info, "final": f}
                        for s, w, f in zip(sides, workers, finals, strict=True)}}
    print(f"  {name}: {a[0]} {statistics.median(la):,.0f}/s, {b[0]} "
          f"{statistics.median(lb):,.0f}/s, ratio {result['ratio']:.2f}", flush=True)
    return result


# -- tables ----------------------------------------------------------------------------------

def side_row(pair: dict, label: str, peak: dict) -> dict:
    """Medians of a side's timed epochs, and its share of the matmul peak (wall and CPU)."""
    epochs = pair["sides"][label]["epochs"]
    rates = [e["samples"] / e["seconds"] for e in epochs]
    cpu = statistics.median(e["samples"] / e["cpu_seconds"] for e in epochs)
    med = statistics.median(rates)
    flops = 6 * pair["macs"] / 1e9  # GFLOP per trained sample
    return {"median": med, "min": min(rates), "max": max(rates), "cpu": cpu,
            "gflops": flops * med, "peak_share": flops * med / peak["wall"],
            "cpu_peak_share": flops * cpu / peak["cpu"]}


def peaks(results: dict) -> dict:
    """Per thread count: median matmul GFLOP/s over all rounds, per wall and per CPU-second."""
    return {t: {"wall": statistics.median(m["gflops"] for m in ms),
                "cpu": statistics.median(m["gflops_per_cpu_s"] for m in ms)}
            for t, ms in results["peaks"].items()}


def pair_rows(pairs: list[dict], other: str, all_peaks: dict, first) -> list[str]:
    lines = []
    for pair in pairs:
        peak = all_peaks[str(pair["threads"])]
        ll, ot = side_row(pair, "layerloom", peak), side_row(pair, other, peak)
        lines.append(
            f"| {first(pair)}{pair['threads']} | {pair['batch']} | "
            f"{ll['median']:,.0f} ({ll['min']:,.0f}–{ll['max']:,.0f}) | "
            f"{ot['median']:,.0f} ({ot['min']:,.0f}–{ot['max']:,.0f}) | "
            f"**{pair['ratio']:.2f}** ({min(pair['paired_ratios']):.2f}–"
            f"{max(pair['paired_ratios']):.2f}) | "
            f"{ll['cpu']:,.0f} / {ot['cpu']:,.0f} = **{ll['cpu'] / ot['cpu']:.2f}** | "
            f"{ll['gflops']:.1f} / {ot['gflops']:.1f} | "
            f"{100 * ll['peak_share']:.0f} % / {100 * ot['peak_share']:.0f} % | "
            f"{100 * ll['cpu_peak_share']:.0f} % / {100 * ot['cpu_peak_share']:.0f} % |")
    return lines


HEAD = ("| {a}threads | batch | LayerLoom samples/s (min–max) | {b} samples/s (min–max) | "
        "LayerLoom / {b} (per-round range) | samples per CPU-second: LayerLoom / {b} = ratio | "
        "GFLOP/s: LayerLoom / {b} | of matmul peak (wall): LayerLoom / {b} | "
        "of matmul peak (per CPU-s): LayerLoom / {b} |")


def tables(results: dict) -> str:
    all_peaks = peaks(results)
    lines = []
    if results["keras"]:
        lines += [f"### seed-cnn: LayerLoom `train` vs Keras {results.get('keras_version', '')} "
                  f"`fit`, {results['n_keras']:,} samples of [1, 28, 28]", "",
                  HEAD.format(a="", b="Keras"), "|---" * 9 + "|"]
        lines += pair_rows(results["keras"], "keras", all_peaks, lambda p: "")
        lines.append("")
    if results["hand"]:
        lines += ["### LayerLoom `train` vs a hand-written eager PyTorch loop", "",
                  HEAD.format(a="template (samples) | ", b="hand"), "|---" * 10 + "|"]
        lines += pair_rows(results["hand"], "hand", all_peaks,
                           lambda p: f"{p['template']} ({p['n']:,}) | ")
        lines.append("")
    if results.get("accuracy"):
        acc = results["accuracy"]
        lines += [f"seed-cnn on mnist-5k, {acc['epochs']} epochs, default config: test accuracy "
                  f"{acc['test_accuracy']:.4f} (test loss {acc['test_loss']:.4f}, "
                  f"{acc['seconds']:.0f} s)", ""]
    if not all_peaks:
        return "\n".join(lines) + "\n"
    lines.append("fp32 matmul peak (2048², torch, median of the rounds): " + "; ".join(
        f"{t} thread{'s' * (t != '1')}: {p['wall']:.0f} GFLOP/s wall, {p['cpu']:.0f} per "
        f"CPU-second" for t, p in sorted(all_peaks.items())))
    return "\n".join(lines) + "\n"


def seed_cnn_accuracy(epochs: int = 5) -> dict:
    """``seed-cnn`` on ``mnist-5k`` with the default config: the accuracy no speed-up may cost."""
    from layerloom.runtime import TrainConfig, train
    from templates import template_path

    started = time.perf_counter()
    result = train(template_path("seed-cnn"), "mnist-5k", TrainConfig(epochs=epochs))
    return {"epochs": epochs, "test_accuracy": result.metrics["test_accuracy"],
            "test_loss": result.metrics["test_loss"], "seconds": time.perf_counter() - started}


# -- main ------------------------------------------------------------------------------------

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="6,000 samples for Keras/seed-cnn, fewer for the others: minutes")
    p.add_argument("--rounds", type=int, default=3, help="timed epochs per side (default 3)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    p.add_argument("--templates", nargs="+", default=["seed-cnn", "resnet-mini", "mlp-tabular"],
                   help="templates compared with hand-written PyTorch")
    p.add_argument("--skip-keras", action="store_true")
    p.add_argument("--skip-hand", action="store_true")
    p.add_argument("--skip-accuracy", action="store_true",
                   help="skip training seed-cnn on mnist-5k (5 epochs) for its test accuracy")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a TrainConfig field for LayerLoom's runs, e.g. channels_last=off")
    p.add_argument("--markdown", type=Path, help="also write the tables to this file")
    p.add_argument("--table", type=Path, metavar="RESULTS.json",
                   help="print the tables of an earlier run's results and stop")
    args = p.parse_args()
    if args.table:
        print(tables(json.loads(args.table.read_text())))
        return 0

    sizes = ({"seed-cnn": 6_000, "resnet-mini": 640, "mlp-tabular": 12_000} if args.quick else
             {"seed-cnn": 12_000, "resnet-mini": 2_560, "mlp-tabular": 60_000})
    n_keras = 6_000 if args.quick else data.N
    data.ensure()
    import handwritten

    for line in handwritten.check():
        print(line)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS / f"logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = {"argv": sys.argv[1:], "n_keras": n_keras, "set": args.set, "keras": [],
               "hand": [], "peaks": {}, "started": stamp, "cpus": os.cpu_count()}

    def keep(pair):
        results["peaks"].setdefault(str(pair["threads"]), []).extend(pair["matmul"])

    if not args.skip_keras:
        ensure_keras_venv()
        print(f"Part 1: seed-cnn, LayerLoom vs Keras, {n_keras:,} samples", flush=True)
        for threads in args.threads:
            for batch in args.batches:
                pair = run_pair(
                    f"keras-t{threads}-b{batch}",
                    ("layerloom", torch_argv("layerloom", "seed-cnn", n_keras, batch, threads,
                                             args.set)),
                    ("keras", keras_argv(n_keras, batch, threads)), threads, args.rounds,
                    log_dir)
                pair["batch"] = batch
                info = pair["sides"]["keras"]["info"]
                results["keras_version"] = f"{info.get('keras')} on TensorFlow {info.get('tf')}"
                results["keras"].append(pair)
                keep(pair)
    if not args.skip_hand:
        print("Part 2: LayerLoom vs hand-written PyTorch", flush=True)
        for template in args.templates:
            n = sizes[template]
            for threads in args.threads:
                for batch in args.batches:
                    pair = run_pair(
                        f"hand-{template}-t{threads}-b{batch}",
                        ("layerloom", torch_argv("layerloom", template, n, batch, threads,
                                                 args.set)),
                        ("hand", torch_argv("hand", template, n, batch, threads, [])), threads,
                        args.rounds, log_dir)
                    pair.update(template=template, n=n, batch=batch)
                    results["hand"].append(pair)
                    keep(pair)

    if not args.skip_accuracy:
        print("Part 3: seed-cnn on mnist-5k, 5 epochs, default config", flush=True)
        results["accuracy"] = seed_cnn_accuracy()
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    text = tables(results)
    print()
    print(text)
    print(f"(all numbers: {RESULTS / (stamp + '.json')})")
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
