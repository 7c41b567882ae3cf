"""How long a user waits for a run's first curve point (issue 12).

Start → first point: from ``start_run`` (what the Train page's Start button calls) until the
run's first metric row is in the runs database. Resume → first point: the same run stopped
after its first points, then ``resume_run`` until its next new metric row. The Train page
reads the database once a second, so a browser shows the point at most a second later.

Each is measured in the two ways a run can start: ``spawn`` (a fresh ``python -m
layerloom.runtime.worker`` process: the CLI, notebooks, and the app before the warm worker) and
``warm`` (forked by the app's warm worker, ``layerloom.runtime.zygote``, which ``layerloom app``
starts beside the server), each on an idle machine and under load (one CPU-burning process per
core, started and ended in this same run). The figures are seconds, and ratios warm/spawn in
the same run; the target is a warm start ≤ 5 s.

    python benchmarks/start_bench.py                   # seed-cnn on mnist-5k, 2 repeats
    python benchmarks/start_bench.py --repeats 3 --no-load
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, resume_run, start_run, stop_run, wait, zygote

TARGET_S = 5.0


def first_point(store: RunStore, run_id: int, after: int, timeout: float = 120.0) -> int:
    """Wait until the run has a metric row newer than ``after``; that row's id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = store.metrics(run_id, after=after)
        if rows:
            return rows[0].rowid
        run = store.get(run_id)
        if run.status not in ("queued", "running"):
            raise RuntimeError(f"run {run_id} ended ({run.status}: {run.reason}) before a point")
        time.sleep(0.02)
    raise TimeoutError(f"run {run_id}: no point after {timeout:g} s")


def one(store: RunStore, graph, dataset: str, epochs: int) -> tuple[float, float]:
    """(Start → first point, Resume → first point) in seconds, for one run."""
    t0 = time.perf_counter()
    run_id = start_run(graph, dataset, {"epochs": epochs}, store=store)
    last = first_point(store, run_id, 0)
    start_s = time.perf_counter() - t0
    stop_run(run_id, store)
    wait(run_id, timeout=120, store=store, interval=0.05)
    last = max(m.rowid for m in store.metrics(run_id))
    t0 = time.perf_counter()
    resume_run(run_id, store)
    first_point(store, run_id, last)
    resume_s = time.perf_counter() - t0
    stop_run(run_id, store)
    wait(run_id, timeout=120, store=store, interval=0.05)
    return start_s, resume_s


@contextmanager
def burners(n: int):
    """``n`` processes that burn a CPU each, for as long as the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


@contextmanager
def warm_worker(enabled: bool):
    """The app's warm worker, started as ``layerloom.ui.serve`` starts it, ready; or none."""
    os.environ.pop(zygote.ENV, None)
    if not enabled:
        yield
        return
    proc = zygote.start()
    if proc is None:
        raise RuntimeError("the warm worker is disabled (LAYERLOOM_WARM_WORKER=0)")
    deadline = time.monotonic() + 120
    while not zygote.ready() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.environ.pop(zygote.ENV, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="seed-cnn")
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-load", action="store_true", help="measure the idle machine only")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2,
                        help="CPU-burning processes for 'under load' (default: one per core)")
    args = parser.parse_args(argv)
    graph = load_template(args.template)
    loads = ["idle"] + ([] if args.no_load else ["load"])
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs.db")
        for mode in ("spawn", "warm"):
            with warm_worker(mode == "warm"):
                for load in loads:
                    ctx = burners(args.burners) if load == "load" else _nothing()
                    with ctx:
                        for _ in range(args.repeats):
                            results.setdefault((mode, load), []).append(
                                one(store, graph, args.dataset, args.epochs))
    print(f"{args.template} on {args.dataset}, {os.cpu_count()} cores; median of "
          f"{args.repeats}; seconds until the first curve point is in the runs database")
    print(f"{'':14}{'spawn':>8}{'warm':>8}{'warm/spawn':>12}")
    ok = True
    for load in loads:
        for i, what in enumerate(("Start", "Resume")):
            spawn = statistics.median(r[i] for r in results[("spawn", load)])
            warm = statistics.median(r[i] for r in results[("warm", load)])
            ok = ok and (load != "idle" or warm <= TARGET_S)
            print(f"{what + ' ' + load:14}{spawn:8.2f}{warm:8.2f}{warm / spawn:12.2f}")
    print(f"warm start and resume on the idle machine ≤ {TARGET_S:g} s: "
          f"{'yes' if ok else 'NO'}")
    return 0 if ok else 1


@contextmanager
def _nothing():
    yield


if __name__ == "__main__":
    sys.exit(main())
