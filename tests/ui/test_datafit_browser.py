"""The commonest beginner mistake in a real browser (Chromium): a design with MaxPool wired straight
into a Linear (no Flatten) and mnist-5k chosen. The Data page, the Train page and the designer's
status bar say "add Flatten (or global pooling) before fc" before anything trains, and Start is
disabled. Also: no Streamlit developer chrome (Deploy, main menu, running figure) on the page."""

from __future__ import annotations

import re

import pytest

from layerloom.graph import Edge
from layerloom.graph.templates import load_template

pytestmark = pytest.mark.browser

TIMEOUT_MS = 45_000
ADVICE = "add Flatten (or global pooling) before fc"

expect = pytest.importorskip("playwright.sync_api").expect


def no_flatten():
    graph = load_template("seed-cnn")
    graph.name = "no-flatten"
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    graph.edges = [e for e in graph.edges if "flat" not in (e.source, e.target)]
    graph.edges.append(Edge("pool2", "fc"))
    return graph


@pytest.fixture(scope="module")
def project(app_home) -> str:
    from layerloom.ui.projects import ProjectStore

    return ProjectStore(app_home).create(no_flatten())


@pytest.fixture(scope="module")
def app_url(app_home, project, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home) as url:
        yield url


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1440, "height": 900}) as pg:
        yield pg


def _go(page, title: str) -> None:
    """Follow the top navigation's link (the session, and the data chosen, are kept)."""
    page.locator('[data-testid="stTopNavLink"]', has_text=title).first.click()
    ready = (page.locator(".st-key-statusbar") if title == "Designer" else
             page.get_by_role("heading", name=title, exact=True))
    expect(ready).to_be_visible(timeout=TIMEOUT_MS)


def test_the_no_flatten_mistake_is_named_before_start(app_url, project, page, shots):
    page.goto(f"{app_url}/?project={project}")
    status = page.locator(".st-key-statusbar")
    expect(status).to_contain_text("valid", timeout=TIMEOUT_MS)  # a valid graph: only the data shows the mistake

    _go(page, "Data")  # choosing the data: mnist-5k, the one the design was made for
    expect(page.get_by_text("mnist-5k", exact=False).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text(ADVICE).first).to_be_visible(timeout=TIMEOUT_MS)

    _go(page, "Train")
    expect(page.get_by_text(ADVICE).first).to_be_visible(timeout=TIMEOUT_MS)
    start = page.get_by_role("button", name="Start training")
    expect(start).to_be_disabled(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Start is off").first).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=str(shots / "datafit-train.png"))

    _go(page, "Designer")
    fit = page.locator(".st-key-datafit")  # right under the status bar
    expect(fit).to_contain_text("does not fit mnist-5k", timeout=TIMEOUT_MS)
    expect(fit).to_contain_text(ADVICE, timeout=TIMEOUT_MS)
    # with the data chosen, the verdict is no longer "valid", and fc is marked on the canvas
    # as a block in error, with the fix in its tooltip
    expect(status).to_contain_text("1 error with mnist-5k", timeout=TIMEOUT_MS)
    expect(status).not_to_contain_text("valid")
    fc = page.frame_locator('iframe[title*="layerloom_canvas"]').locator(
        '.react-flow__node[data-id="fc"] .ll-error')
    expect(fc).to_have_count(1, timeout=TIMEOUT_MS)
    expect(fc).to_have_attribute("title", re.compile(re.escape(ADVICE)))
    fit.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "datafit-designer.png"))

    # a product's page: none of Streamlit's developer chrome
    for testid in ("stAppDeployButton", "stMainMenu", "stStatusWidget"):
        expect(page.locator(f'[data-testid="{testid}"]')).to_have_count(0) if \
            page.locator(f'[data-testid="{testid}"]').count() == 0 else \
            expect(page.locator(f'[data-testid="{testid}"]').first).to_be_hidden()
