"""A training run beside a busy app (issue 18): its speed with 4 active editors over its speed
alone, in the same run.

Starts the app (``python -m layerloom.ui.serve``, a fresh ``LAYERLOOM_HOME``, its warm worker),
starts a run through the app's warm worker as the Train page does (seed-cnn on mnist-5k, many
epochs), and reads the run's own ``samples_per_s`` points from the runs database:

1. alone, for ``--window`` seconds;
2. while ``--editors`` headless Chromium users, each on a project of their own, type conv2's
   ``out_channels`` in the inspector every ``--interval`` seconds (each edit a rerun of the
   Designer and a save), for ``--window`` seconds after they have all loaded the page;
3. alone again (the machine's other load may drift: the baseline is the mean of 1 and 3).

The figure is the median samples/s with editors over alone; the target is ≥ 0.7. The server's
priority is the app's default (``nice`` +5 beside the warm worker's runs); ``--server-nice 0``
measures the server at the run's priority, for comparison.

    python benchmarks/run_beside_editors_bench.py
    python benchmarks/run_beside_editors_bench.py --server-nice 0 --window 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edit_stress_bench import (CHROMIUM, CHROMIUM_ARGS, IFRAME, User,  # noqa: E402
                               _essence, read_design, type_param)

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(home: Path, sock: str, server_nice: int | None):
    port = free_port()
    env = {**os.environ, "LAYERLOOM_HOME": str(home), "LAYERLOOM_CANVAS_DEV_URL": "",
           "LAYERLOOM_ZYGOTE": sock}
    if server_nice is not None:
        env["LAYERLOOM_SERVER_NICE"] = str(server_nice)
    cmd = [sys.executable, "-m", "layerloom.ui.serve", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]
    log = open(home / "server.log", "wb")  # noqa: SIM115
    # a session of its own, as `layerloom app` starts it (ui/serve.py: lower_session)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start") from None
            time.sleep(0.3)
    return url, proc


def speed(store, run_id: int, since: float, until: float) -> list[float]:
    """The run's samples/s points written between two times."""
    return [m.value for m in store.metrics(run_id, split="step", name="samples_per_s")
            if since <= m.time <= until]


async def editor(browser, url: str, home: Path, user: User, stop: threading.Event,
                 interval: float, loaded: list) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(url, timeout=300_000)
        frame = page.frame_locator(IFRAME)
        conv2 = frame.locator('[data-testid="node-conv2"]')
        await conv2.wait_for(timeout=300_000)
        import re

        for _ in range(600):
            match = re.search(r"project=([a-z0-9-]+)", page.url)
            if match:
                break
            await asyncio.sleep(0.1)
        user.pid = match.group(1)
        design = None
        while design is None:
            design = read_design(home, user.pid)
            await asyncio.sleep(0.1)
        user.expected = {n["id"]: _essence(n) for n in design["nodes"]}
        await conv2.click()
        loaded.append(user.name)
        value = 20
        while not stop.is_set():
            started = time.monotonic()
            value += 1
            try:
                await type_param(page, home, user, value)
            except Exception as exc:  # noqa: BLE001 - counted; the editor goes on
                user.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        await context.close()


def editors(url: str, home: Path, n: int, interval: float, stop: threading.Event,
            loaded: list, people: list) -> None:
    from playwright.async_api import async_playwright

    async def go():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                await asyncio.gather(*(editor(browser, url, home, u, stop, interval, loaded)
                                       for u in people))
            finally:
                await browser.close()

    asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--window", type=float, default=40.0,
                        help="seconds measured alone, with editors, and alone again")
    parser.add_argument("--server-nice", type=int, default=None,
                        help="the server's nice increment (default: the app's)")
    args = parser.parse_args(argv)

    from layerloom.graph.templates import load_template
    from layerloom.runtime import RunStore, kill_run, start_run, zygote

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        sock = str(Path(tmp) / "warm.sock")
        url, server = start_app(home, sock, args.server_nice)
        store = RunStore(home / "runs.db")
        people = [User(f"editor{i + 1}") for i in range(args.editors)]
        stop, loaded = threading.Event(), []
        thread, run_id = None, None
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the finally below still runs
        try:
            deadline = time.monotonic() + 180
            while not os.path.exists(sock) and time.monotonic() < deadline:
                time.sleep(0.2)
            os.environ[zygote.ENV] = sock  # runs go through the app's warm worker
            run_id = start_run(load_template("seed-cnn"), "mnist-5k",
                               {"epochs": 200, "log_every": 10}, store=store)
            while not store.metrics(run_id, split="step"):
                time.sleep(0.2)
            time.sleep(3)  # past the first batches
            t0 = time.time()
            time.sleep(args.window)
            alone1 = speed(store, run_id, t0, time.time())
            thread = threading.Thread(target=editors, args=(url, home, args.editors,
                                                            args.interval, stop, loaded,
                                                            people), daemon=True)
            thread.start()
            deadline = time.monotonic() + 400
            while len(loaded) < args.editors and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(args.interval * 2)
            t1 = time.time()
            edits0, saved0 = sum(u.edits for u in people), sum(u.applied for u in people)
            time.sleep(args.window)
            busy = speed(store, run_id, t1, time.time())
            edits = sum(u.edits for u in people) - edits0
            saved = sum(u.applied for u in people) - saved0
            stop.set()
            thread.join(timeout=60)
            time.sleep(3)
            t2 = time.time()
            time.sleep(args.window)
            alone2 = speed(store, run_id, t2, time.time())
        finally:
            stop.set()
            if run_id is not None:  # forked by the warm worker, it would outlive the app
                kill_run(run_id, store, grace=5)
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    alone = (statistics.median(alone1) + statistics.median(alone2)) / 2
    with_editors = statistics.median(busy)
    ratio = with_editors / alone
    ok = ratio >= TARGET
    print(f"seed-cnn on mnist-5k, {os.cpu_count()} cores, server nice "
          f"{'default' if args.server_nice is None else args.server_nice}; "
          f"{len(loaded)} editors loaded, {edits} inspector edits in the {args.window:g} s "
          f"window ({saved} saved; {sum(len(u.errors) for u in people)} driver errors in all)")
    print(f"samples/s alone {statistics.median(alone1):.0f} then "
          f"{statistics.median(alone2):.0f}; with {args.editors} editors {with_editors:.0f}")
    print(f"with editors / alone: {ratio:.2f} (target ≥ {TARGET}: {'yes' if ok else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
