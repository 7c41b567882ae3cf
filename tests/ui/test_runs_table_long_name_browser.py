"""The Runs page's table of a design with a long name, at a laptop's 1366×768 window and at
1024 px (Chromium via Playwright): it fits without scrolling sideways, every run's name reads
whole (its design, its number and what differs: the learning rate here) and the columns that
tell the runs apart (the test metrics) are in view. Before, the name column, pinned, took the
width of its longest name and pushed the others out: at 1366 px the table scrolled sideways
and what differed between the runs was off screen beside the name."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

LONG = "sentiment-classifier-for-film-reviews-bidirectional"


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    graph.name = LONG
    return {"long": graph}


@pytest.fixture(scope="module")
def runs(app_home, projects):
    from layerloom.runtime import RunStore, TrainConfig

    store = RunStore(app_home / "runs.db")
    made = []
    for lr, accuracy in ((0.001, 0.9221), (0.01, 0.9634), (0.1, 0.1135)):
        run = store.create_run(LONG, {}, {"source": "mnist-5k"},
                               TrainConfig(epochs=3, lr=lr).to_dict(), project=projects["long"])
        store.set_status(run, "completed", "finished 3 epochs", best_metric=0.3132,
                         best_metric_name="val_loss", best_epoch=3,
                         final_metrics={"test_loss": 0.2652, "test_accuracy": accuracy,
                                        "test_macro_f1": accuracy - 0.0011})
        made.append(run)
    store.close()
    return made


# each data grid of the page: [its content's width, the width it is shown in]
WIDTHS_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] .dvn-scroller')).map(e => [e.scrollWidth, e.clientWidth])"""


@pytest.mark.parametrize("width, height", [(1366, 768), (1024, 768)])
def test_a_long_design_name_fits_and_reads(width, height, app_url, browser, browser_page,
                                            projects, runs, shots, patient_expect):
    with browser_page(browser, timeout_ms=60_000,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/runs?project={projects['long']}")
        page.get_by_role("heading", name="Runs", exact=True).wait_for(timeout=120_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.wait_for_timeout(1500)  # the grid sizes its columns once drawn
        page.screenshot(path=str(shots / f"runs-long-name-{width}.png"))
        widths = page.evaluate(WIDTHS_JS)
        assert widths, "no table drawn"
        content, shown = widths[0]
        assert content <= shown + 1, f"the table scrolls sideways: {content} px in {shown}"
