"""The Runs page with runs of several designs, one of a long name, at 1366×768 and at 1024 px
(Chromium via Playwright): each design's runs are a table of their own, named above it, that
fits without scrolling sideways, and the compare picker shows each chosen run's name whole.

Before, one table listed every design's runs, each row naming its design in full twice (the
name and project columns): 1405 px of table in 1204 at 1366 px, the test metrics off screen;
and the picker kept its chips on one line that scrolled sideways, the second long run name cut
("sentiment-classifier-for-film-reviews-bidirectional #4 · learning r"). Then a design's runs
in two projects, their names saying the rate and the epochs, had these said again in a config
column ("rate 0.001, 10 epochs"): 993 px of table in 862 at 1024 px."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

LONG = "sentiment-classifier-for-film-reviews-bidirectional"


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    graph.name = LONG
    return {"long": graph, "cnn": load_template("seed-cnn"), "cnn2": load_template("seed-cnn"),
            "mlp": load_template("mlp-tabular")}


@pytest.fixture(scope="module")
def runs(app_home, projects):
    from layerloom.runtime import RunStore, TrainConfig

    store = RunStore(app_home / "runs.db")
    made = []
    # seed-cnn's runs in two projects of that name, and with other epochs: its table has a
    # project column, and names that say the rate and the epochs
    for design, project, data, lr, epochs, accuracy in (
            ("mlp-tabular", "mlp", "iris", 0.01, 3, 0.9667),
            ("seed-cnn", "cnn", "mnist-5k", 0.001, 3, 0.9513),
            ("seed-cnn", "cnn", "mnist-5k", 0.01, 3, 0.9601),
            ("seed-cnn", "cnn2", "mnist-5k", 0.001, 10, 0.9771),
            (LONG, "long", "mnist-5k", 0.001, 3, 0.9221),
            (LONG, "long", "mnist-5k", 0.01, 3, 0.9634)):
        run = store.create_run(design, {}, {"source": data},
                               TrainConfig(epochs=epochs, lr=lr).to_dict(),
                               project=projects[project])
        store.set_status(run, "completed", "finished 3 epochs", best_metric=0.3132,
                         best_metric_name="val_loss", best_epoch=3,
                         final_metrics={"test_loss": 0.2652, "test_accuracy": accuracy,
                                        "test_macro_f1": accuracy - 0.0011})
        made.append(run)
    store.close()
    return made


# each chip of the compare picker: [its text, its box's right edge, the picker's right edge,
# the text's own width, the width it is shown in]
CHIPS_JS = """() => {
    const box = document.querySelector('[data-testid="stMultiSelect"] .react-aria-ComboBox');
    const right = box.getBoundingClientRect().right;
    return Array.from(box.querySelectorAll('[data-tag] > span')).map(s => [
        s.textContent, s.parentElement.getBoundingClientRect().right, right,
        s.scrollWidth, s.clientWidth]);
}"""
WIDTHS_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] .dvn-scroller')).map(e => [e.scrollWidth, e.clientWidth])"""


@pytest.mark.parametrize("width, height", [(1366, 768), (1024, 768)])
def test_runs_of_several_designs_fit(width, height, app_url, browser, browser_page, projects,
                                     runs, shots, patient_expect):
    with browser_page(browser, timeout_ms=60_000,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/runs?project={projects['long']}")
        page.get_by_role("heading", name="Runs", exact=True).wait_for(timeout=120_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / f"runs-several-{width}.png"), full_page=True)
        widths = page.evaluate(WIDTHS_JS)
        assert len(widths) == 4, "a table per design, then the sweep's settings"
        for content, shown in widths:
            assert content <= shown + 1, f"a table scrolls sideways: {content} px in {shown}"
        captions = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
        for design, count in ((LONG, "all 2 runs"), ("seed-cnn", "all 3 runs"),
                              ("mlp-tabular", "the run")):
            assert any(c.startswith(f"{design} · {count}") for c in captions), captions
        chips = page.evaluate(CHIPS_JS)
        assert [c[0] for c in chips] == [f"{LONG} #6 · learning rate 0.01",
                                         f"{LONG} #5 · learning rate 0.001"]
        for text, chip_right, box_right, text_width, text_shown in chips:
            assert chip_right <= box_right, f"{text!r} is cut by the picker's edge"
            assert text_width <= text_shown, f"{text!r} is cut short"
