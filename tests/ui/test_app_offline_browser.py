"""The app makes no request outside the machine (issue 18): every page of it, opened in
Chromium, asks only the app's own server (127.0.0.1/localhost) for its documents, scripts,
styles, fonts and icons — an offline machine shows it whole, with no ERR_NAME_NOT_RESOLVED.

Requests to other hosts are recorded, and aborted so that the test never reaches the internet.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000  # a shared, loaded machine: the first page imports torch
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
PAGES = ("Designer", "Data", "Train", "Results", "Runs", "Export")


def outside(url: str) -> bool:
    parts = urlparse(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
        return False
    return (parts.hostname or "") not in LOCAL


def test_no_request_leaves_the_machine(app_home, streamlit_app, browser, browser_page,
                                      monkeypatch):
    monkeypatch.setenv("LAYERLOOM_WARM_WORKER", "0")  # no run here: the server alone
    with streamlit_app(["layerloom.ui.serve"], home=app_home, start_s=90, stop_s=20) as url, \
            browser_page(browser, timeout_ms=TIMEOUT_MS,
                         viewport={"width": 1440, "height": 900}) as page:
        seen: list[str] = []
        local: list[str] = []

        def route(r):
            if outside(r.request.url):
                seen.append(r.request.url)
                r.abort()
            else:
                local.append(r.request.url)
                r.continue_()

        page.context.route("**/*", route)
        failed: list[str] = []
        page.on("requestfailed", lambda req: failed.append(f"{req.url} {req.failure}"))
        page.goto(url)
        visited = []
        for name in PAGES:
            link = page.get_by_role("link", name=name, exact=True).first
            link.wait_for()
            link.click()
            if name == "Designer":  # the canvas (a component in its iframe) is the page
                page.locator("iframe").first.wait_for()
            else:
                page.get_by_role("heading", name=name, exact=True).first.wait_for()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # components (canvas, charts) load their own assets
            visited.append(name)
        assert visited == list(PAGES)
        assert local, "no request reached the app at all"
        assert not seen, f"requests outside the machine: {sorted(set(seen))}"
        outside_failed = [f for f in failed if outside(f.split(" ")[0])]
        assert not outside_failed, outside_failed
