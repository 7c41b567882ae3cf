"""The Runs page's table at a laptop's 1366×768 window (Chromium via Playwright): every column
is shown whole, the test metrics too, without scrolling sideways. The test column was capped at
140 px, so that a run's test metrics read "accuracy 92.2%, macro F1 9…" and the loss never
showed; uncapped, it fits because the run's number (its name says it: "seed-cnn #3") is no
column of its own. Narrower, the table scrolls sideways with the run's name kept in view."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"cnn": load_template("seed-cnn")}


@pytest.fixture(scope="module")
def runs(app_home, projects):
    """Three finished runs of the project, with test metrics as a classifier records them."""
    from layerloom.runtime import RunStore, TrainConfig

    store = RunStore(app_home / "runs.db")
    made = []
    for lr, accuracy in ((0.001, 0.9221), (0.01, 0.9634), (0.1, 0.1135)):
        run = store.create_run("seed-cnn", {}, {"source": "mnist-5k"},
                               TrainConfig(epochs=3, lr=lr).to_dict(), project=projects["cnn"])
        store.set_status(run, "completed", "finished 3 epochs", best_metric=0.3132,
                         best_metric_name="val_loss", best_epoch=3,
                         final_metrics={"test_loss": 0.2652, "test_accuracy": accuracy,
                                        "test_macro_f1": accuracy - 0.0011})
        made.append(run)
    store.close()
    return made


# each of the page's data grids: [its content's width, the width it is shown in]
WIDTHS_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] .dvn-scroller')).map(e => [e.scrollWidth, e.clientWidth])"""


def test_every_column_shows_whole_at_1366(app_url, page, projects, runs, shots,
                                          patient_expect):
    page.goto(f"{app_url}/runs?project={projects['cnn']}")
    page.get_by_role("heading", name="Runs", exact=True).wait_for(timeout=120_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.wait_for_timeout(1500)  # the grid sizes its columns once drawn
    widths = page.evaluate(WIDTHS_JS)
    assert widths, "no table drawn"
    for content, shown in widths:
        assert content <= shown + 1, f"the table scrolls sideways: {content} px in {shown}"
    page.screenshot(path=str(shots / "runs-table-1366.png"))
