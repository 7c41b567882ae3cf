"""Live charts cost the run little (issue 7): samples/s of a run watched live against the same
run with nobody watching, ratio ≥ 0.95.

Each run is ``runtime.start_run`` (a process of its own, as from the Train page or the CLI):
seed-cnn on mnist-5k, five epochs by default (``--epochs``), batch 32, Adam. Samples/s is the
trainer's own figure: samples trained over its training time (``progress.elapsed``), so process start-up and data loading are
left out of both sides alike. Runs alternate in pairs (ABBA order), after a warm-up run; the
median of the pairs' ratios is reported, and beside it the ratio of each run's median speed over
its 10-step logging intervals, which a neighbour's burst of work on a shared machine moves less.

Watchers (``--watch``):

- ``poller``: another process runs the Train page's live panel (``ui.live.draw``: run status,
  the new metric rows, the three figures built and serialised for the live-chart component)
  once a second, exactly what ``st.fragment(run_every=1)`` does on the server for one open tab;
- ``browser``: the app itself (``layerloom.ui.serve``) with the Train page open in headless
  Chromium on the run: server reruns, websocket traffic and Plotly drawing included.

    python benchmarks/ui_live_bench.py                      # poller, 3 pairs
    python benchmarks/ui_live_bench.py --watch browser --pairs 3
    python benchmarks/ui_live_bench.py --interleaved 4 --epochs 40   # one run, watched in turns

Threads default to one per run: on a shared two-core machine more would measure the neighbours.

Measured here (2 cores, 1 thread, 2026-11-29): browser pairs median 1.046 (15 epochs, 4 pairs);
interleaved 0.965 in 8 s turns, 0.944 in 4 s turns (each switch back to the Train page, a full
page render, counts against watching); app server 0.047 and Chromium 0.387 CPU-s per second
while watched. With ``--threads 2`` (every core) 0.60: the browser's drawing stalls one of the
run's two OpenMP threads and the other waits at each barrier, while the poller costs nothing
(1.035). Before the live-chart component and the server settings of ``ui/serve.py``: 0.755 in
4 s turns, server 0.381 and Chromium 0.667 CPU-s per second.
"""

from __future__ import annotations

import argparse
import json
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

def poller(db: Path, duty: float = 0.0, report: list | None = None):
    """A process that draws the live panel of each run once a second until told to stop;
    with ``duty``, it watches for ``duty`` seconds, rests as long, and so on."""
    def start(run_id: int):
        proc = subprocess.Popen([sys.executable, __file__, "--poll", str(run_id), "--db",
                                 str(db), "--duty", str(duty)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)

        def stop():
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
            lines = out.strip().splitlines()
            print(f"      poller: {lines[0] if lines else 'no output'}")
            if report is not None and len(lines) > 1:
                report.extend(json.loads(lines[1]))

        return stop

    return start


def poll_forever(run_id: int, db: str, duty: float = 0.0) -> None:
    """What one open Train tab costs the server: ``live.draw`` each second (bare Streamlit).

    Prints its redraw count and cost, then (as JSON) its windows ``[start, end, watching]``.
    """
    import logging
    import signal

    from layerloom.runtime import RunStore
    from layerloom.ui import live

    logging.disable(logging.WARNING)  # bare mode warns on every element; a server does not

    store = RunStore(db)
    ticks, busy = 0, 0.0
    done = False
    windows: list[list] = []

    def finish(*_):
        nonlocal done
        done = True

    signal.signal(signal.SIGTERM, finish)
    window_start, watching = time.time(), True
    while not done:
        if duty and time.time() - window_start >= duty:
            windows.append([window_start, time.time(), watching])
            window_start, watching = time.time(), not watching
        began = time.perf_counter()
        if watching:
            live.draw(store, run_id, per_epoch=False)
            busy += time.perf_counter() - began
            ticks += 1
        time.sleep(max(0.0, live.REFRESH_S - (time.perf_counter() - began)))
    print(f"{ticks} redraws, {busy / max(ticks, 1) * 1000:.1f} ms each", flush=True)
    print(json.dumps(windows), flush=True)


def interleaved(store, graph, config: dict, duty: float, watch: str = "poller",
                home: Path | None = None) -> float:
    """One long run, watched ``duty`` seconds, then not, in turn: the mean speed of the 10-step
    intervals that ended while watched over those that ended while not. The two kinds of
    window alternate every few seconds, so a neighbour's load falls on both alike.

    With the browser, one tab shows the Train page while watching and the (static) Export page
    while not; each switch back costs a page rerun, counted against watching."""
    windows: list = []
    if watch == "poller":
        result = run_once(store, graph, config, poller(store.path, duty, windows))
    else:
        result = _browser_turns(store, graph, config, duty, home, windows)
    speeds = {True: [], False: []}
    for m in store.metrics(result["run"], split="step", name="samples_per_s"):
        for start, end, watching in windows:
            if start + 0.5 <= m.time < end:  # skip the half second a switch can spill over
                speeds[watching].append(m.value)
                break
    on, off = (len(v) / sum(1 / x for x in v) for v in (speeds[True], speeds[False]))
    print(f"  one run of {result['elapsed']:.0f} s, {len(windows)} windows of {duty:g} s: "
          f"watched {on:7.1f} samples/s ({len(speeds[True])} intervals), alone {off:7.1f} "
          f"samples/s ({len(speeds[False])} intervals), ratio {on / off:.3f}")
    return on / off


def _browser_turns(store, graph, config: dict, duty: float, home: Path, windows: list) -> dict:
    """Watch in turns with one tab kept open, switching it between the Train page (live: a
    rerun a second, charts redrawn) and the Export page (static), as a user would."""
    from layerloom.runtime import run_status, start_run
    from layerloom.runtime.store import ACTIVE

    opened, close = browser(home, keep_open=False)
    run_id = start_run(graph, {"source": "mnist-5k"}, config, store=store)
    server_cpu = {True: 0.0, False: 0.0}
    browser_cpu = {True: 0.0, False: 0.0}
    try:
        page = opened(run_id, keep=True)
        while not (run_status(run_id, store).progress or {}).get("step"):
            time.sleep(0.5)
        watching = True
        while run_status(run_id, store).status in ACTIVE:
            began, cpu = time.time(), _cpu_seconds(close.server_pid)
            chrome_cpu = _browser_seconds(close.server_pid)
            page.get_by_role("link", name="Train" if watching else "Export", exact=True).click()
            time.sleep(duty)
            windows.append([began, time.time(), watching])
            server_cpu[watching] += _cpu_seconds(close.server_pid) - cpu
            browser_cpu[watching] += _browser_seconds(close.server_pid) - chrome_cpu
            watching = not watching
    finally:
        close()
    turns = {w: max(1, sum(1 for *_, on in windows if on == w)) for w in (True, False)}
    print(f"      app server CPU per second: {server_cpu[True] / turns[True] / duty:.3f} while "
          f"watched, {server_cpu[False] / turns[False] / duty:.3f} while on the Export page; "
          f"Chromium {browser_cpu[True] / turns[True] / duty:.3f} and "
          f"{browser_cpu[False] / turns[False] / duty:.3f}")
    run = run_status(run_id, store)
    return {"run": run_id, "elapsed": run.progress["elapsed"]}


def browser(home: Path, keep_open: bool = True):
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

    def start(run_id: int, keep: bool = False):
        projectruns.remember(project, run_id)
        page = chrome.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/train?project={project}")
        page.get_by_text(f"Run {run_id}:").first.wait_for(timeout=60_000)
        if keep:
            return page

        def stop():
            points = _chart_points(page)
            page.close()
            if keep_open:
                print(f"      browser: charts with {points} points when the run ended")

        return stop

    def close():
        chrome.close()
        play.stop()
        server.terminate()
        server.wait(timeout=30)

    close.server_pid = server.pid
    return start, close


def _chart_points(page, timeout: float = 20.0) -> list[int]:
    """The number of points of each live chart's first trace (in the live-chart component's
    frame; the page reruns once when a run ends, so wait for the frame to be back)."""
    deadline = time.monotonic() + timeout
    while True:
        for element in page.query_selector_all('iframe[title*="livechart"]'):
            try:
                frame = element.content_frame()
                if frame is None:
                    continue
                points = frame.evaluate(
                    "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                    ".map(el => ((el.data || [])[0] || {x: []}).x.length)")
            except Exception:  # noqa: BLE001 - the frame went away mid-call: look again
                continue
            if points:
                return points
        if time.monotonic() > deadline:
            return []
        time.sleep(0.5)


def _browser_seconds(server_pid: int) -> float:
    """CPU time of this process's descendants that are Chromium (the app server and the runs
    are not): what drawing the page costs."""
    me, total = str(os.getpid()), 0.0
    parents: dict[str, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[entry.name] = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
    for pid in parents:
        up, seen = pid, 0
        while up in parents and up != me and seen < 20:
            up, seen = parents[up], seen + 1
        if up != me or pid == str(server_pid):
            continue
        try:
            if "chrom" in (Path("/proc") / pid / "comm").read_text():
                total += _cpu_seconds(int(pid))
        except OSError:
            continue
    return total


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--interleaved", type=float, metavar="SECONDS", help="instead of pairs "
                        "of runs, one long run (--epochs) watched and not in turns of SECONDS")
    parser.add_argument("--poll", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--duty", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poll is not None:
        poll_forever(args.poll, args.db, args.duty)
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
    if args.interleaved:
        print(f"seed-cnn on mnist-5k, {args.epochs} epoch(s), batch 32, {args.threads} "
              f"thread(s); the {args.watch} watches in turns of {args.interleaved:g} s")
        run_once(store, graph, {**config, "epochs": 1})  # warm-up
        ratio = interleaved(store, graph, config, args.interleaved, args.watch, home)
        return 0 if ratio >= 0.95 else 1
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
