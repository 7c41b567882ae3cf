"""LayerLoom against Keras 3 on this CPU, measured fairly: training at fp32 and bf16, accuracy,
and the inference of what each side's users deploy.

    .venv/bin/python benchmarks/peer_keras/run.py --markdown benchmarks/peer_keras/results/table.md
    .venv/bin/python benchmarks/peer_keras/run.py --quick      # a few minutes, for trying changes
    .venv/bin/python benchmarks/peer_keras/run.py --table benchmarks/peer_keras/results/<stamp>.json

Part 1, training: the design note's model in Keras (its own virtual environment, ``.venv-keras``,
made on first use) and LayerLoom's ``seed-cnn`` template through ``layerloom.runtime.train``, on the
same arrays (data.py), Adam 1e-3, for each thread budget, batch size and precision (``fp32``;
``bf16``: LayerLoom's ``precision=bf16-mixed`` against Keras' ``mixed_bfloat16`` policy).

The method (see README.md): each side gets the same thread budget, set the way its users set it
(LayerLoom: ``TrainConfig(num_threads=N)``, i.e. ``torch.set_num_threads(N)``; Keras: TensorFlow's
intra- and inter-op pools at N), with no pinning and no OpenMP variables. Every measurement is a
whole process (start, one warm-up epoch, ``--epochs`` timed epochs, exit), run in ABBA order
(LayerLoom, Keras, Keras, LayerLoom; a second cycle BAAB) so that drift in the machine's load falls
on both. A side's figure is the median of all its timed epochs. Each epoch's CPU-seconds (user +
system, all threads of the process) are read with its wall time, so the tables give samples per
second, samples per CPU-second and CPU-seconds per wall second; a side using less than 0.9 × its
thread budget while timed is FLAGGED (it waited, or the machine took its cores).

Part 2, accuracy: ``seed-cnn`` on ``mnist-5k``, 5 epochs, default config, at each precision,
seeds 0 .. ``--seeds`` - 1 (1,000 test images: half a point is 5 images, so one seed is noise).
Part 3, inference: batch-1 and batch-64 latency of the exported bundle's ``model.onnx``
(onnxruntime) and ``model.torchscript.pt``, and of the Keras model's ``predict_on_batch``, at each
thread budget, whole processes in the order ONNX, TorchScript, Keras, Keras, TorchScript, ONNX.
``--hand`` adds LayerLoom against a hand-written eager PyTorch loop (the same method).

``--markdown FILE`` writes the tables; ``results/<stamp>.json`` keeps every epoch and call figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402
from protocol import MARK  # noqa: E402

KERAS_VENV = HERE / ".venv-keras"
# Versions that install on Python 3.11 x86-64 from the package registry (checked 2026-12).
KERAS_PACKAGES = ("tensorflow-cpu==2.21.0", "keras==3.15.1")
RESULTS = HERE / "results"
MAIN_PYTHON = sys.executable
BUDGET_SHARE = 0.9  # a side below this share of its thread budget while timed is flagged
PRECISIONS = {"fp32": "fp32", "bf16": "bf16-mixed"}  # the benchmark's name -> LayerLoom's


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

def worker_env() -> dict:
    """The environment a user's process has: this one's, less anything set for the peer."""
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


class Worker:
    """One training process, driven line by line (protocol.py). Not pinned: each framework
    keeps to its thread budget by its own settings, as for its users."""

    def __init__(self, label: str, argv: list[str], log: Path):
        self.label, self.log_path = label, log
        self.log = open(log, "a")  # noqa: SIM115  (closed in close())
        self.proc = subprocess.Popen(argv, cwd=HERE, env=worker_env(), text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log)
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
            self.kill()
        self.log.close()
        return final

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def fail(self, what: str):
        self.kill()
        self.log.close()
        tail = "".join(self.log_path.read_text().splitlines(keepends=True)[-25:])
        raise RuntimeError(f"{self.label} worker {what}; the end of {self.log_path}:\n{tail}")


def torch_argv(kind: str, template: str, n: int, batch: int, threads: int, precision: str,
               sets: list[str]) -> list[str]:
    argv = [MAIN_PYTHON, str(HERE / "torch_worker.py"), "--kind", kind, "--template", template,
            "--n", str(n), "--batch", str(batch), "--threads", str(threads)]
    if kind == "layerloom":
        for item in [f"precision={PRECISIONS[precision]}", *sets]:
            argv += ["--set", item]
    return argv


def keras_argv(n: int, batch: int, threads: int, precision: str) -> list[str]:
    return [str(keras_python()), str(HERE / "keras_worker.py"), "--n", str(n), "--batch",
            str(batch), "--threads", str(threads), "--precision", precision]


def one_process(label: str, argv: list[str], epochs: int, log: Path) -> dict:
    """Start a worker, train a warm-up epoch and ``epochs`` timed ones, let it exit."""
    worker = Worker(label, argv, log)
    try:
        warm = worker.ask("epoch")  # allocations, one-off set-up, Keras' tracing
        timed = [worker.ask("epoch") for _ in range(epochs)]
        final = worker.close()
    finally:
        worker.kill()
    return {"info": worker.info, "warmup": warm, "epochs": timed, "final": final}


def abba(cycles: int) -> list[int]:
    """0 = side A, 1 = side B: ABBA, then BAAB, ..."""
    order = []
    for c in range(cycles):
        order += [0, 1, 1, 0] if c % 2 == 0 else [1, 0, 0, 1]
    return order


def run_pair(name: str, sides: list[tuple[str, list[str]]], epochs: int, cycles: int,
             log_dir: Path, **meta) -> dict:
    """Whole processes of the two sides in ABBA order; every timed epoch kept."""
    runs = {label: [] for label, _ in sides}
    for i in abba(cycles):
        label, argv = sides[i]
        runs[label].append(one_process(label, argv, epochs, log_dir / f"{name}-{label}.log"))
    pair = {"name": name, **meta, "order": [sides[i][0] for i in abba(cycles)],
            "sides": {label: {"processes": procs, **side_figures(procs)}
                      for label, procs in runs.items()}}
    a, b = (pair["sides"][label] for label, _ in sides)
    print(f"  {name}: {sides[0][0]} {a['rate']:,.0f}/s ({a['cpu_rate']:,.0f}/CPU-s, "
          f"{a['cpu_use']:.2f} CPU-s/s), {sides[1][0]} {b['rate']:,.0f}/s "
          f"({b['cpu_rate']:,.0f}/CPU-s, {b['cpu_use']:.2f} CPU-s/s): "
          f"{a['rate'] / b['rate']:.2f} wall, {a['cpu_rate'] / b['cpu_rate']:.2f} per CPU-s",
          flush=True)
    return pair


def side_figures(processes: list[dict]) -> dict:
    """Medians over all timed epochs of all the side's processes, and each process' medians."""
    epochs = [e for p in processes for e in p["epochs"]]
    rates = [e["samples"] / e["seconds"] for e in epochs]
    return {"rate": statistics.median(rates), "min": min(rates), "max": max(rates),
            "cpu_rate": statistics.median(e["samples"] / e["cpu_seconds"] for e in epochs),
            "cpu_use": statistics.median(e["cpu_seconds"] / e["seconds"] for e in epochs),
            "process_rates": [statistics.median(e["samples"] / e["seconds"]
                                                for e in p["epochs"]) for p in processes]}


# -- accuracy and inference ------------------------------------------------------------------

def seed_cnn_accuracy(precision: str, seed: int = 0, epochs: int = 5) -> dict:
    """``seed-cnn`` on ``mnist-5k`` with the default config at ``precision`` and ``seed``."""
    code = (
        "import json, sys, time\n"
        "import layerloom.runtime\n"
        "from layerloom.runtime import TrainConfig, train\n"
        "from templates import template_path\n"
        "t = time.perf_counter()\n"
        f"r = train(template_path('seed-cnn'), 'mnist-5k', TrainConfig(epochs={epochs}, "
        f"precision={PRECISIONS[precision]!r}, seed={seed}))\n"
        "print('" + MARK + "' + json.dumps({'test_accuracy': r.metrics['test_accuracy'], "
        "'test_loss': r.metrics['test_loss'], 'seconds': time.perf_counter() - t}))\n")
    out = subprocess.run([MAIN_PYTHON, "-c", code], cwd=HERE, env=worker_env(), text=True,
                         capture_output=True, timeout=900)
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARK)]
    if out.returncode or not lines:
        raise RuntimeError(f"accuracy run ({precision}) failed:\n{out.stderr[-3000:]}")
    return {"precision": precision, "seed": seed, "epochs": epochs,
            **json.loads(lines[-1][len(MARK):])}


def export_bundle(folder: Path) -> Path:
    """``seed-cnn`` exported as a bundle (fresh weights), unpacked into ``folder``."""
    from layerloom.graph.export import export_model
    from templates import template_path

    zipped = folder / "seed-cnn-bundle.zip"
    export_model(template_path("seed-cnn"), "bundle", zipped)
    with zipfile.ZipFile(zipped) as z:
        z.extractall(folder / "bundle")
    found = next((folder / "bundle").rglob("model.onnx"))
    return found.parent


def inference(threads_list: list[int], bundle: Path, seconds: float, log_dir: Path) -> list:
    kinds = {"onnx": MAIN_PYTHON, "torchscript": MAIN_PYTHON, "keras": str(keras_python())}
    order = ["onnx", "torchscript", "keras", "keras", "torchscript", "onnx"]
    rows = []
    for threads in threads_list:
        got = {k: [] for k in kinds}
        for kind in order:
            argv = [kinds[kind], str(HERE / "infer_worker.py"), "--kind", kind, "--bundle",
                    str(bundle), "--threads", str(threads), "--seconds", str(seconds)]
            with open(log_dir / f"infer-{kind}-t{threads}.log", "a") as log:
                out = subprocess.run(argv, cwd=HERE, env=worker_env(), text=True,
                                     stdout=subprocess.PIPE, stderr=log, timeout=600)
            lines = [line for line in out.stdout.splitlines() if line.startswith(MARK)]
            if out.returncode or not lines:
                raise RuntimeError(f"inference worker {kind} failed; see {log_dir}")
            got[kind].append(json.loads(lines[-1][len(MARK):]))
        row = {"threads": threads, "runs": got, "batches": {}}
        for b in got["onnx"][0]["batches"]:
            row["batches"][b] = {k: {
                "median_ms": statistics.median(r["batches"][b]["median_ms"] for r in runs),
                "p90_ms": statistics.median(r["batches"][b]["p90_ms"] for r in runs),
                "cpu_per_wall": statistics.median(r["batches"][b]["cpu_per_wall"] for r in runs)}
                for k, runs in got.items()}
        print(f"  inference, {threads} thread(s): " + "; ".join(
            f"batch {b}: " + ", ".join(f"{k} {v['median_ms']:.3f} ms" for k, v in ks.items())
            for b, ks in row["batches"].items()), flush=True)
        rows.append(row)
    return rows


# -- tables ----------------------------------------------------------------------------------

def flag(side: dict, threads: int) -> str:
    return " ⚑" if side["cpu_use"] < BUDGET_SHARE * threads else ""


def train_table(pairs: list[dict], other: str, title: str) -> list[str]:
    o = "Keras" if other == "keras" else "hand"
    lines = [title, "",
             f"| precision | threads | batch | LayerLoom samples/s (min–max) | {o} samples/s "
             f"(min–max) | **LayerLoom / {o}, wall** | samples per CPU-second: LayerLoom / {o} "
             f"= **ratio** | CPU-s per s: LayerLoom / {o} |",
             "|---|---|---|---|---|---|---|---|"]
    for p in pairs:
        a, b = p["sides"]["layerloom"], p["sides"][other]
        lines.append(
            f"| {p['precision']} | {p['threads']} | {p['batch']} | "
            f"{a['rate']:,.0f} ({a['min']:,.0f}–{a['max']:,.0f}) | "
            f"{b['rate']:,.0f} ({b['min']:,.0f}–{b['max']:,.0f}) | "
            f"**{a['rate'] / b['rate']:.2f}** | {a['cpu_rate']:,.0f} / {b['cpu_rate']:,.0f} = "
            f"**{a['cpu_rate'] / b['cpu_rate']:.2f}** | {a['cpu_use']:.2f}{flag(a, p['threads'])}"
            f" / {b['cpu_use']:.2f}{flag(b, p['threads'])} |")
    return lines + [""]


def precision_table(pairs: list[dict]) -> list[str]:
    """bf16 over fp32 for each side, from the pairs of the same run."""
    by = {(p["threads"], p["batch"], p["precision"]): p for p in pairs}
    lines = ["| threads | batch | LayerLoom bf16 / fp32: wall, per CPU-s | "
             "Keras bf16 / fp32: wall, per CPU-s |", "|---|---|---|---|"]
    for (t, b, prec), p in by.items():
        q = by.get((t, b, "fp32"))
        if prec != "bf16" or q is None:
            continue
        cells = []
        for side in ("layerloom", "keras"):
            x, y = p["sides"][side], q["sides"][side]
            cells.append(f"{x['rate'] / y['rate']:.2f}, {x['cpu_rate'] / y['cpu_rate']:.2f}")
        lines.append(f"| {t} | {b} | {cells[0]} | {cells[1]} |")
    return lines + [""] if len(lines) > 2 else []


def inference_table(rows: list[dict]) -> list[str]:
    lines = ["| threads | batch | ONNX (onnxruntime) ms | TorchScript ms | Keras predict_on_batch "
             "ms | Keras / ONNX | Keras / TorchScript | CPU-s per s: ONNX / TorchScript / "
             "Keras |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for b, ks in row["batches"].items():
            on, ts, ke = ks["onnx"], ks["torchscript"], ks["keras"]
            lines.append(
                f"| {row['threads']} | {b} | {on['median_ms']:.3f} (p90 {on['p90_ms']:.3f}) | "
                f"{ts['median_ms']:.3f} (p90 {ts['p90_ms']:.3f}) | {ke['median_ms']:.3f} "
                f"(p90 {ke['p90_ms']:.3f}) | **{ke['median_ms'] / on['median_ms']:.1f}** | "
                f"**{ke['median_ms'] / ts['median_ms']:.1f}** | {on['cpu_per_wall']:.2f} / "
                f"{ts['cpu_per_wall']:.2f} / {ke['cpu_per_wall']:.2f} |")
    return lines + [""]


def targets(results: dict) -> list[str]:
    """Issue 16's targets against this run: LayerLoom / Keras at fp32 >= 1.15 (wall and per
    CPU-second), LayerLoom bf16 / its fp32 >= 1.5, bf16 accuracy within half a point."""
    pairs = {(p["threads"], p["batch"], p["precision"]): p for p in results.get("keras", [])}
    lines = ["| target | threads | batch | wall | per CPU-second |", "|---|---|---|---|---|"]

    def mark(x, goal):
        return f"**{x:.2f}** {'✓' if x >= goal else '✗'}"
    for (t, b, prec), p in pairs.items():
        a, k = p["sides"]["layerloom"], p["sides"]["keras"]
        if prec == "fp32":
            flags = flag(a, t).strip() + flag(k, t).strip()  # a side below its budget
            lines.append(f"| fp32: LayerLoom / Keras ≥ 1.15 | {t} | {b} | "
                         f"{mark(a['rate'] / k['rate'], 1.15)}{' ' + flags if flags else ''} | "
                         f"{mark(a['cpu_rate'] / k['cpu_rate'], 1.15)} |")
    for (t, b, prec), p in pairs.items():
        q = pairs.get((t, b, "fp32"))
        if prec == "bf16" and q:
            a, f = p["sides"]["layerloom"], q["sides"]["layerloom"]
            lines.append(f"| bf16-mixed: LayerLoom / its fp32 ≥ 1.5 | {t} | {b} | "
                         f"{mark(a['rate'] / f['rate'], 1.5)} | "
                         f"{mark(a['cpu_rate'] / f['cpu_rate'], 1.5)} |")
    acc = {}
    for a in results.get("accuracy") or []:
        acc.setdefault(a["precision"], []).append(a["test_accuracy"])
    if "fp32" in acc and "bf16" in acc:
        gap = 100 * (statistics.mean(acc["bf16"]) - statistics.mean(acc["fp32"]))
        lines.append(f"| mnist-5k test accuracy, bf16 − fp32 (mean of {len(acc['bf16'])} seeds) "
                     f"within ±0.5 points | – | 32 | {gap:+.2f} points "
                     f"{'✓' if abs(gap) <= 0.5 else '✗'} | |")
    return lines + [""] if len(lines) > 2 else []


def tables(results: dict) -> str:
    lines = []
    if results.get("keras"):
        lines += ["### Targets (issue 16)", ""] + targets(results)
    if results.get("keras"):
        lines += train_table(
            results["keras"], "keras",
            f"### Training seed-cnn: LayerLoom `train` vs Keras {results.get('keras_version', '')}"
            f" `fit`, {results['n']:,} samples of [1, 28, 28] per epoch")
        lines += precision_table(results["keras"])
    if results.get("hand"):
        lines += train_table(results["hand"], "hand",
                             "### LayerLoom `train` vs a hand-written eager PyTorch loop")
    if results.get("accuracy"):
        lines += ["### seed-cnn on mnist-5k (1,000 test images), 5 epochs, default config", "",
                  "| precision | test accuracy per seed | mean | test loss, mean | seconds, mean |",
                  "|---|---|---|---|---|"]
        for prec in dict.fromkeys(a["precision"] for a in results["accuracy"]):
            runs = [a for a in results["accuracy"] if a["precision"] == prec]
            lines.append(
                f"| {prec} | " + ", ".join(f"{a['test_accuracy']:.4f} (seed {a.get('seed', 0)})"
                                           for a in runs)
                + f" | **{statistics.mean(a['test_accuracy'] for a in runs):.4f}** | "
                f"{statistics.mean(a['test_loss'] for a in runs):.4f} | "
                f"{statistics.mean(a['seconds'] for a in runs):.0f} |")
        lines.append("")
    if results.get("inference"):
        lines += ["### Inference: the exported bundle vs Keras `predict_on_batch`, latency per "
                  "call (median of the processes' medians)", ""]
        lines += inference_table(results["inference"])
    lines.append(f"⚑ = below {BUDGET_SHARE} × its thread budget in CPU-seconds per wall second "
                 f"while timed. Load average at the start / end: {results.get('load_start')} / "
                 f"{results.get('load_end')}.")
    return "\n".join(lines) + "\n"


# -- main ------------------------------------------------------------------------------------

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="3,000 samples, 2 timed epochs, one thread, no accuracy: minutes")
    p.add_argument("--n", type=int, help="samples per epoch (default 12,000)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per process (default 3)")
    p.add_argument("--cycles", type=int, default=1,
                   help="ABBA cycles per pair (default 1: four processes)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=PRECISIONS)
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-accuracy", action="store_true")
    p.add_argument("--seeds", type=int, default=3, help="accuracy runs per precision (default 3)")
    p.add_argument("--skip-inference", action="store_true")
    p.add_argument("--hand", nargs="*", metavar="TEMPLATE",
                   help="also LayerLoom vs a hand-written PyTorch loop (default: seed-cnn)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a TrainConfig field for LayerLoom's runs, e.g. channels_last=off")
    p.add_argument("--markdown", type=Path, help="also write the tables to this file")
    p.add_argument("--table", type=Path, metavar="RESULTS.json",
                   help="print the tables of an earlier run's results and stop")
    args = p.parse_args()
    if args.table:
        print(tables(json.loads(args.table.read_text())))
        return 0
    if args.quick:
        args.threads = args.threads if args.threads != [1, 2] else [1]
        args.epochs = min(args.epochs, 2)
        args.skip_accuracy = True
    n = args.n or (3_000 if args.quick else 12_000)

    data.ensure()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS / f"logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = {"argv": sys.argv[1:], "n": n, "epochs": args.epochs, "cycles": args.cycles,
               "set": args.set, "keras": [], "hand": [], "started": stamp,
               "cpus": os.cpu_count(), "load_start": _load()}
    started = time.perf_counter()
    ensure_keras_venv()
    if not args.skip_train:
        print(f"Part 1: training seed-cnn, LayerLoom vs Keras, {n:,} samples, ABBA", flush=True)
        for precision in args.precisions:
            for threads in args.threads:
                for batch in args.batches:
                    pair = run_pair(
                        f"{precision}-t{threads}-b{batch}",
                        [("layerloom", torch_argv("layerloom", "seed-cnn", n, batch, threads,
                                                  precision, args.set)),
                         ("keras", keras_argv(n, batch, threads, precision))],
                        args.epochs, args.cycles, log_dir, threads=threads, batch=batch,
                        precision=precision, n=n)
                    info = pair["sides"]["keras"]["processes"][0]["info"]
                    results["keras_version"] = f"{info.get('keras')} on TensorFlow {info.get('tf')}"
                    results["keras"].append(pair)
    for template in ([] if args.hand is None else args.hand or ["seed-cnn"]):
        for threads in args.threads:
            for batch in args.batches:
                results["hand"].append(run_pair(
                    f"hand-{template}-t{threads}-b{batch}",
                    [("layerloom", torch_argv("layerloom", template, n, batch, threads, "fp32",
                                              args.set)),
                     ("hand", torch_argv("hand", template, n, batch, threads, "fp32", []))],
                    args.epochs, args.cycles, log_dir, threads=threads, batch=batch,
                    precision="fp32", n=n, template=template))
    if not args.skip_accuracy:
        print("Part 2: seed-cnn on mnist-5k, 5 epochs, default config", flush=True)
        results["accuracy"] = []
        for seed in range(args.seeds):
            for prec in args.precisions:
                a = seed_cnn_accuracy(prec, seed)
                results["accuracy"].append(a)
                print(f"  {prec}, seed {seed}: test accuracy {a['test_accuracy']:.4f} "
                      f"({a['seconds']:.0f} s)", flush=True)
    if not args.skip_inference:
        print("Part 3: inference latency, bundle (ONNX, TorchScript) vs Keras", flush=True)
        with tempfile.TemporaryDirectory(prefix="peer-keras-bundle-") as tmp:
            bundle = export_bundle(Path(tmp))
            results["inference"] = inference(args.threads, bundle, 1.0 if args.quick else 2.0,
                                             log_dir)
    results["load_end"] = _load()
    results["seconds"] = time.perf_counter() - started
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    text = tables(results)
    print()
    print(text)
    print(f"(all numbers: {RESULTS / (stamp + '.json')}; {results['seconds'] / 60:.1f} min)")
    if args.markdown:
        args.markdown.write_text(text)
    return 0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
