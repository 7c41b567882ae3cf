"""Shared fixtures of the UI tests.

- ``home``, ``canvas``: a fresh ``LAYERLOOM_HOME`` and a :class:`FakeCanvas` for the AppTest tests.
- ``scratch_home``: a fresh home set while a block runs, for module-scoped fixtures that train runs.
- The real-browser tests (marked ``browser``): ``streamlit_app`` starts an app on a free port,
  ``app_home`` is a fresh home for it (one a module), ``app_url`` the designer served from
  it with the module's ``designs`` made ``projects`` first, ``page`` a page at 1366×768 (the
  shared helpers of the canvas tests are in ``canvas_browser.py``), ``browser`` is Debian's
  Chromium driven by
  Playwright, ``browser_page`` opens a page that fails the test on a page error, ``drag`` drags
  with the mouse, ``shots`` is where screenshots go. Tests marked ``browser`` are skipped, before
  their fixtures start anything, where Chromium or Playwright is missing.

Screenshots go to a pytest temporary folder, or to the folder that ``LAYERLOOM_SCREENSHOTS``
names (``make screenshots`` writes the README's ``assets/screenshots/``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


# ---- AppTest tests ------------------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def canvas(monkeypatch):
    import layerloom.ui.canvas
    from layerloom.ui.testing import FakeCanvas

    fake = FakeCanvas()
    monkeypatch.setattr(layerloom.ui.canvas, "canvas", fake)
    return fake


@pytest.fixture(scope="session")
def scratch_home(tmp_path_factory):
    """``with scratch_home("name") as (folder, store):`` a new folder, ``LAYERLOOM_HOME`` while
    the block runs, and a ``RunStore`` in it."""

    @contextmanager
    def make(name: str):
        from layerloom.runtime import RunStore

        folder = tmp_path_factory.mktemp(name)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LAYERLOOM_HOME", str(folder))
            yield folder, RunStore()

    return make


# ---- real-browser tests -------------------------------------------------------------------

def pytest_runtest_setup(item):
    """Skip the browser tests, before their fixtures start anything, where there is no browser."""
    if item.get_closest_marker("browser") is not None:
        if not os.path.exists(CHROMIUM):
            pytest.skip(f"{CHROMIUM} is not installed")
        pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _streamlit_app(command: list[str], *, home: Path | None = None, log: Path | None = None,
                   options=(), start_s: float = 60, stop_s: float = 10,
                   no_traceback: bool = True):
    """Run ``python -m <command>`` (a Streamlit app) on a free port, its output in ``log``
    (by default ``home/server.log``), and yield its URL once /_stcore/health answers. The canvas
    is the built bundle (``LAYERLOOM_CANVAS_DEV_URL`` empty); ``home``, if given, is its
    ``LAYERLOOM_HOME``. On the way out the app is stopped and, with ``no_traceback``, its log
    must hold no traceback."""
    log = log if log is not None else home / "server.log"
    port = free_port()
    cmd = [sys.executable, "-m", *command, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", *options]
    env = {"LAYERLOOM_HOME": str(home)} if home is not None else {}
    with serving(cmd, port, log, env=env, start_s=start_s, stop_s=stop_s,
                 no_traceback=no_traceback) as url:
        yield url


@contextmanager
def serving(cmd: list[str], port: int, log: Path, *, env: dict | None = None,
            start_s: float = 60, stop_s: float = 10, no_traceback: bool = True):
    """Start ``cmd`` (a server on 127.0.0.1:``port``, the built canvas bundle, ``env`` added to
    the environment), its output in ``log``; yield its URL once /_stcore/health answers; stop it
    on the way out (as Ctrl+C or a shutdown does) and, with ``no_traceback``, check its log
    holds no traceback."""
    env = {**os.environ, "LAYERLOOM_CANVAS_DEV_URL": "", **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()  # collected, not left <defunct>
    if no_traceback:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text


@pytest.fixture(scope="session")
def streamlit_app():
    """``with streamlit_app(["layerloom.ui.serve"], home=app_home) as url:`` (see above)."""
    return _streamlit_app


@pytest.fixture(scope="module")
def app_home(tmp_path_factory) -> Path:
    """A fresh ``LAYERLOOM_HOME`` for the app that a browser test module starts."""
    return tmp_path_factory.mktemp("layerloom-home")


@pytest.fixture(scope="module")
def designs() -> dict:
    """The designs (name → Graph) a module's tests open by ``?project=``: none; a module that
    needs some defines its own ``designs``, made projects before its app starts."""
    return {}


@pytest.fixture(scope="module")
def projects(designs, create_projects) -> dict[str, str]:
    """``{name: project id}`` of the module's ``designs``."""
    return create_projects(designs)


@pytest.fixture(scope="module")
def app_url(app_home, streamlit_app, projects):
    """The designer served from this module's fresh home, its ``designs`` made projects first
    (a module with other options defines its own)."""
    with streamlit_app(["layerloom.ui.serve"], home=app_home,
                       options=["--client.toolbarMode", "minimal"]) as url:
        yield url


@pytest.fixture
def patient_expect():
    """Playwright's ``expect`` waits 20 s, not 5, while the test runs: the machine is shared,
    so a browser test waits on conditions, not sleeps, and patiently."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


@pytest.fixture(scope="module")
def create_projects(app_home):
    """``create_projects({"name": graph, …})`` → ``{"name": project id}``: designs made
    projects in this module's app home (before its app starts, so that a test opens them by
    ``?project=``)."""
    from layerloom.ui.projects import ProjectStore

    store = ProjectStore(app_home)
    return lambda graphs: {name: store.create(graph) for name, graph in graphs.items()}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def _browser_page(browser, *, timeout_ms: float | None = None, **context_options):
    """A page in a new browser context (``context_options`` as for ``new_context``); on the way
    out the context is closed and the page must have raised no error."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    if timeout_ms is not None:
        pg.set_default_timeout(timeout_ms)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"page errors: {errors}"


LAPTOP = {"width": 1366, "height": 768}  # the newcomer's window


@pytest.fixture
def page(browser, browser_page):
    """A page at a laptop's 1366×768 window, 45 s of patience per action (a module that wants
    another window defines its own ``page``)."""
    from canvas_browser import TIMEOUT_MS

    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport=LAPTOP) as pg:
        yield pg


@pytest.fixture(scope="session")
def browser_page():
    """``with browser_page(browser, timeout_ms=..., viewport=...) as page:`` (see above)."""
    return _browser_page


def _center(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page, source, target):
    """Press on the middle of ``source``, move in steps to the middle of ``target``, release:
    what React Flow needs to see to draw an edge."""
    sx, sy = _center(source)
    tx, ty = _center(target)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=8)
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()


@pytest.fixture(scope="session")
def drag():
    return _drag


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where the browser tests save screenshots: the folder ``LAYERLOOM_SCREENSHOTS`` names
    (``make screenshots``: assets/screenshots, the README's pictures), else a temporary folder,
    so that a test run leaves the tracked files alone."""
    named = os.environ.get("LAYERLOOM_SCREENSHOTS")
    if not named:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(named).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
