"""A design opened just after the server started, which does not fit the data it names (the
seed CNN with its Flatten deleted: a Linear fed pool2's feature map, on mnist-5k's 10
classes), is marked as such without any edit, in a real browser at 1366×768 (Chromium via
Playwright, the app on a fresh server: the data is not loaded yet when the page is first
drawn). Before, the designer loaded the data on a thread and checked the design against it
only at the user's next edit: until then the status bar said "valid" and the canvas marked
nothing but a warning."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    graph.name = "no-flatten"
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    for edge in graph.edges:
        if edge.target == "flat":
            edge.target = "fc"
    graph.edges = [e for e in graph.edges if e.source != "flat"]
    assert graph.extra.get("dataset") == "mnist-5k"
    return {"no-flatten": graph}


def test_a_design_that_does_not_fit_its_data_is_marked_without_an_edit(app_url, page,
                                                                        projects, shots):
    from canvas_browser import open_project

    open_project(page, app_url, projects["no-flatten"], '[data-testid="node-fc"]')
    bar = page.locator(".st-key-statusbar")
    expect(bar).to_contain_text("params")
    # nothing touched: the page is drawn again once the data has loaded
    expect(bar).to_contain_text("1 error with mnist-5k", timeout=90_000)
    expect(bar).not_to_contain_text("valid")
    expect(page.locator(".st-key-datafit")).to_contain_text("add Flatten")
    page.screenshot(path=str(shots / "designer-no-flatten-marked.png"))
