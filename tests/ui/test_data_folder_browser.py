"""The Data page takes a folder on the machine running LayerLoom, in a real browser (Chromium):
typing its path shows its class counts (from file names), the dataset's summary at the design's
Input size, and a preview grid of a few decoded images (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from layerloom.graph.templates import load_template

pytestmark = pytest.mark.browser

TIMEOUT_MS = 45_000

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-data") / "shapes"
    for label, count in (("circle", 9), ("square", 6)):
        (root / label).mkdir(parents=True)
        for i in range(count):
            pixels = np.full((40, 30), 25 * i, np.uint8)
            pixels[10:30, 8:22] = 255 - 25 * i
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def project(app_home) -> str:
    from layerloom.ui.projects import ProjectStore

    return ProjectStore(app_home).create(load_template("seed-cnn"))


@pytest.fixture(scope="module")
def app_url(app_home, project, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home) as url:
        yield url


def test_a_server_folder_is_counted_and_previewed(app_url, project, folder, browser,
                                                  browser_page, shots):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1440, "height": 900}) as page:
        page.goto(f"{app_url}/?project={project}")
        page.locator('[data-testid="stTopNavLink"]', has_text="Data").first.click()
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(
            timeout=TIMEOUT_MS)
        page.get_by_text("Folder on this machine").click()
        box = page.get_by_label("Folder", exact=True)
        expect(box).to_be_visible(timeout=TIMEOUT_MS)
        box.fill(str(folder))
        box.press("Enter")
        expect(page.get_by_text("15 images in 2 classes: circle 9, square 6")).to_be_visible(
            timeout=TIMEOUT_MS)
        expect(page.get_by_text("[1, 28, 28] float32").first).to_be_visible(timeout=TIMEOUT_MS)
        grid = page.locator('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img')
        expect(grid.first).to_be_visible(timeout=TIMEOUT_MS)
        assert grid.count() >= 5  # the training split's images, decoded for the preview
        page.screenshot(path=str(shots / "data-folder.png"))
