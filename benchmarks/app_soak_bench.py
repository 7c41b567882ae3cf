"""Memory of the app's server across many sessions (issue 18).

Starts the app (``python -m layerloom.ui.serve``, a fresh ``LAYERLOOM_HOME``), then opens and
closes ``--sessions`` browser sessions (headless Chromium, ``--parallel`` at a time, each a new
browser context that loads the Designer with its canvas, then closes), and reads the server's
resident memory (VmRSS) after the first session, after them all, and once the server has
dropped the ended sessions. The figure is the ratio of the last to the first: ≤ 1.10 is the
target (memory returns to within 10 % of where it was after the first session).

    python benchmarks/app_soak_bench.py                 # 50 sessions, 5 at a time
    python benchmarks/app_soak_bench.py --sessions 20 --parallel 4
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LAYERLOOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
TARGET = 1.10


def rss_mib(pid: int) -> float:
    """A process's resident memory in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app(home: Path, options=()):
    """The app on a free port; ``(url, server process)``."""
    port = free_port()
    cmd = [sys.executable, "-m", "layerloom.ui.serve", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", *options]
    env = {**os.environ, "LAYERLOOM_HOME": str(home), "LAYERLOOM_CANVAS_DEV_URL": "",
           "LAYERLOOM_WARM_WORKER": "0"}
    log = open(home / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def open_sessions(browser, url: str, n: int, timeout_ms: float = 60_000,
                  page_path: str = "") -> None:
    """``n`` sessions at once: each a new browser context that loads the app (the Designer
    until its canvas shows, or the page ``page_path`` names until its heading shows), then
    closes (its websocket, and so its session, ends)."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(n)]
    try:
        pages = [c.new_page() for c in contexts]
        for page in pages:
            page.goto(f"{url}/{page_path}", wait_until="commit", timeout=timeout_ms)
        for page in pages:
            if page_path:
                page.get_by_role("heading", name=page_path.capitalize(), exact=True).first \
                    .wait_for(timeout=timeout_ms)
            else:
                page.locator("iframe").first.wait_for(timeout=timeout_ms)
    finally:
        for c in contexts:
            c.close()


def settle(pid: int, seconds: float) -> float:
    """The server's memory after ``seconds`` of quiet (ended sessions dropped)."""
    time.sleep(seconds)
    return rss_mib(pid)


def soak(browser, url: str, pid: int, sessions: int, parallel: int,
         settle_s: float = 8.0, log=print, page_path: str = "") -> dict:
    """Open ``sessions`` sessions (``parallel`` at a time) and return the server's memory in
    MiB: ``idle`` (before any), ``first`` (after the first, settled), ``peak`` (highest seen
    between rounds), ``last`` (after them all, settled) and ``ratio`` = last / first."""
    idle = rss_mib(pid)
    open_sessions(browser, url, 1, page_path=page_path)
    first = settle(pid, settle_s)
    log(f"idle {idle:.0f} MiB, after the first session {first:.0f} MiB")
    done, peak = 1, first
    t0 = time.monotonic()
    while done < sessions:
        n = min(parallel, sessions - done)
        open_sessions(browser, url, n, page_path=page_path)
        done += n
        peak = max(peak, rss_mib(pid))
        log(f"  {done} sessions: {rss_mib(pid):.0f} MiB ({time.monotonic() - t0:.0f} s)")
    last = settle(pid, settle_s)
    log(f"after {sessions} sessions, settled: {last:.0f} MiB (peak {peak:.0f})")
    return {"idle": idle, "first": first, "peak": peak, "last": last, "ratio": last / first,
            "sessions": sessions}


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--settle", type=float, default=8.0,
                        help="seconds of quiet before memory is read")
    parser.add_argument("--page", default="",
                        help="the page each session opens (default: the Designer; e.g. runs)")
    parser.add_argument("--option", action="append", default=[],
                        help="a Streamlit option for the server, e.g. "
                             "--option=--server.disconnectedSessionTTL=120 (the old default)")
    args = parser.parse_args(argv)
    options = [o for opt in args.option for o in opt.split("=", 1)]
    with tempfile.TemporaryDirectory() as tmp, app(Path(tmp), options) as (url, proc), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            result = soak(browser, url, proc.pid, args.sessions, args.parallel, args.settle,
                          page_path=args.page)
        finally:
            browser.close()
    ok = result["ratio"] <= TARGET
    print(f"server memory after {result['sessions']} sessions / after the first: "
          f"{result['ratio']:.3f} (target ≤ {TARGET:.2f}: {'yes' if ok else 'NO'}); "
          f"idle {result['idle']:.0f} MiB, first {result['first']:.0f}, peak "
          f"{result['peak']:.0f}, last {result['last']:.0f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
