"""Live charts cost the run little (issue 7): samples/s of a run watched live against the same
run with nobody watching, ratio ≥ 0.95.

Each run is ``runtime.start_run`` (a process of its own, as from the Train page or the CLI):
seed-cnn on mnist-5k, five epochs (long enough to average out a busy machine), batch 32, Adam. Samples/s is the trainer's own figure: samples
trained over its training time (``progress.elapsed``), so process start-up and data loading are
left out of both sides alike. Runs alternate in pairs (ABBA order), after a warm-up run; the
median of the pairs' ratios is reported, and beside it the ratio of each run's median speed over
its 10-step logging intervals, which a neighbour's burst of work on a shared machine moves less.

Watchers (``--watch``):

- ``poller``: another process runs the Train page's live panel (``ui.live.draw``: run status,
  the new metric rows, three Plotly figures built and serialised) once a second, exactly what
  ``st.fragment(run_every=1)`` does on the server for one open tab;
- ``browser``: the app itself (``layerloom.ui.serve``) with the Train page open in headless
  Chromium on the run: server reruns, websocket traffic and Plotly drawing included.

    python benchmarks/ui_live_bench.py                      # poller, 3 pairs
    python benchmarks/ui_live_bench.py --watch browser --pairs 3

Threads default to one per run: on a shared two-core machine more would measure the neighbours.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def run_once(store, graph, config: dict, watcher=None) -> dict:
    """Start one run, let ``watcher(run_id)`` watch it (or not), wait; its figures."""
    from layerloom.runtime import start_run, wait

    run_id = start_run(graph, {"source": "mnist-5k"}, config, store=store)
    stop = watcher(run_id) if watcher else None
    try:
        run = wait(run_id, timeout=1800, store=store)
    finally:
        if stop:
            stop()
    if run.status != "completed":
        raise SystemExit(f"run {run_id} {run.status}: {run.reason}")
    progress = run.progress
    samples = progress["step"] * config["batch_size"]
    speeds = [m.value for m in store.metrics(run_id, split="step", name="samples_per_s")]
    return {"run": run_id, "samples_per_s": samples / progress["elapsed"],
            "interval_median": statistics.median(speeds), "elapsed": progress["elapsed"]}


# -- watchers ---------------------------------------------------------------------------------

def poller(db: Path):
    """A process that draws the live panel of each run once a second until told to stop."""
    def start(run_id: int):
        proc = subprocess.Popen([sys.executable, __file__, "--poll", str(run_id), "--db",
                                 str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)

        def stop():
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
            print(f"      poller: {out.strip()}")

        return stop

    return start


def poll_forever(run_id: int, db: str) -> None:
    """What one open Train tab costs the server: ``live.draw`` each second (bare Streamlit)."""
    import signal

    from streamlit.logger import set_log_level

    from layerloom.runtime import RunStore
    from layerloom.ui import live

    set_log_level("error")  # bare mode warns on every element otherwise

    store = RunStore(db)
    ticks, busy = 0, 0.0
    done = False

    def finish(*_):
        nonlocal done
        done = True

    signal.signal(signal.SIGTERM, finish)
    while not done:
        began = time.perf_counter()
        live.draw(store, run_id, per_epoch=False)
        busy += time.perf_counter() - began
        ticks += 1
        time.sleep(max(0.0, live.REFRESH_S - (time.perf_counter() - began)))
    print(f"{ticks} redraws, {busy / max(ticks, 1) * 1000:.1f} ms each", flush=True)


def browser(home: Path):
    """The app on a free port and Chromium showing the Train page of the project running."""
    from playwright.sync_api import sync_playwright

    from layerloom.graph.templates import load_template
    from layerloom.ui import projectruns
    from layerloom.ui.projects import ProjectStore

    port = _free_port()
    env = {**os.environ, "LAYERLOOM_HOME": str(home)}
    server = subprocess.Popen([sys.executable, "-m", "layerloom.ui.serve", "--server.headless",
                               "true", "--server.address", "127.0.0.1", "--server.port",
                               str(port), "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, server)
    project = ProjectStore(home).create(load_template("seed-cnn"))
    play = sync_playwright().start()
    chrome = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def start(run_id: int):
        projectruns.remember(project, run_id)
        page = chrome.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?project={project}")
        page.get_by_text(f"Run {run_id}:").first.wait_for(timeout=60_000)
        frames = []

        def stop():
            frames.append(page.evaluate(
                "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".map(el => (el.data[0] || {x: []}).x.length)"))
            page.close()
            print(f"      browser: charts with {frames[0]} points when the run ended")

        return stop

    def close():
        chrome.close()
        play.stop()
        server.terminate()
        server.wait(timeout=30)

    return start, close


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    raise SystemExit("the app did not start")


# -- the benchmark ------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watch", choices=("poller", "browser"), default="poller")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--poll", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poll is not None:
        poll_forever(args.poll, args.db)
        return 0
    if args.watch == "browser" and not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed; use --watch poller")
        return 2

    home = Path(tempfile.mkdtemp(prefix="layerloom-live-bench-"))
    os.environ["LAYERLOOM_HOME"] = str(home)
    from layerloom.graph.templates import load_template
    from layerloom.runtime import RunStore

    store = RunStore()
    graph = load_template("seed-cnn")
    config = {"epochs": args.epochs, "batch_size": 32, "optimizer": "adam", "lr": 1e-3,
              "num_threads": args.threads}
    close = None
    if args.watch == "browser":
        watcher, close = browser(home)
    else:
        watcher = poller(store.path)
    print(f"seed-cnn on mnist-5k, {args.epochs} epoch(s), batch 32, {args.threads} thread(s); "
          f"watched by the {args.watch}; {args.pairs} pairs after a warm-up run")
    ratios, robust = [], []
    try:
        run_once(store, graph, config)  # warm-up: file caches, the first process's imports
        for i in range(args.pairs):
            if i % 2 == 0:  # ABBA order, so a drift in the machine's load favours neither
                alone = run_once(store, graph, config)
                watched = run_once(store, graph, config, watcher)
            else:
                watched = run_once(store, graph, config, watcher)
                alone = run_once(store, graph, config)
            ratio = watched["samples_per_s"] / alone["samples_per_s"]
            steady = watched["interval_median"] / alone["interval_median"]
            ratios.append(ratio)
            robust.append(steady)
            print(f"  pair {i + 1}: alone {alone['samples_per_s']:7.1f} samples/s, watched "
                  f"{watched['samples_per_s']:7.1f} samples/s, ratio {ratio:.3f}  (median "
                  f"of 10-step speeds: {alone['interval_median']:7.1f} vs "
                  f"{watched['interval_median']:7.1f}, ratio {steady:.3f})")
    finally:
        if close:
            close()
    median = statistics.median(ratios)
    print(f"median ratio watched/alone: {median:.3f} ({'≥' if median >= 0.95 else '<'} 0.95); "
          f"of the 10-step speeds (robust to a neighbour's bursts): "
          f"{statistics.median(robust):.3f}")
    return 0 if median >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
