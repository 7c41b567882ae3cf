"""Train, watch and ship in a real browser: Debian's Chromium driven by Playwright against the app
(``layerloom.ui.serve``) on a free port with a fresh ``LAYERLOOM_HOME``.

The app opens a new ``seed-cnn`` project; pick ``mnist-5k`` on the Data page, train two epochs on
the Train page and see the loss curve gain points while it trains, see the confusion matrix on the
Results page with a Grad-CAM overlay over the most confidently wrong digit (and the live layer
heatmap growing on the Train page before it), download the run's ONNX file from the Export page and run it with onnxruntime
against the trained model. Screenshots ``train.png`` and ``results.png`` go to the screenshots
folder (``shots``, tests/ui/conftest.py: a temporary folder, or ``assets/screenshots/`` with
``make screenshots``).
Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_S = 600  # two epochs of seed-cnn on 3,500 digits, on a slow shared CPU

# Every Plotly chart on the page: its title, the number of points of each trace and the last x
# of each (a curve of over 400 points is thinned: its count can fall while its last step grows).
CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    title: ((el.layout || {}).title || {}).text || '',
    types: (el.data || []).map(t => t.type),
    points: (el.data || []).map(t => (t.x || []).length),
    last: (el.data || []).map(t => (t.x || []).length ? t.x[t.x.length - 1] : null)}))"""


@pytest.fixture(scope="module")
def app_url(app_home, streamlit_app):
    with streamlit_app(["layerloom.ui.serve"], home=app_home, start_s=90,
                       stop_s=20) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url, browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS, viewport={"width": 1500, "height": 1000},
                      accept_downloads=True) as pg:
        pg.goto(app_url)
        yield pg


def charts(page) -> list[dict]:
    """The Plotly charts of the page and of its frames: the live curves are drawn in a
    component's iframe (ui/livechart), the other charts in the page itself."""
    found = page.evaluate(CHARTS_JS)
    for element in page.query_selector_all("iframe"):
        try:
            frame = element.content_frame()
            found += frame.evaluate(CHARTS_JS) if frame is not None else []
        except Exception:  # a frame that went away while the page reran
            continue
    return found


def chart(page, title: str) -> dict | None:
    return next((c for c in charts(page) if title in c["title"]), None)


def go(page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    try:
        page.get_by_role("heading", name=name, exact=True).wait_for()
    except Exception:
        page.screenshot(path=os.environ.get("LAYERLOOM_DEBUG_SHOT", "/tmp/layerloom-fail.png"))
        raise


def test_train_watch_and_ship_seed_cnn_on_mnist(page, app_home, tmp_path, shots):
    # Data: pick mnist-5k (the seed-cnn template's own data) and see that the design takes it.
    go(page, "Data")
    page.get_by_role("combobox", name="Dataset").click()
    page.get_by_role("option", name=re.compile(r"^mnist-5k — ")).click()
    assert page.get_by_role("combobox", name="Dataset").input_value().startswith("mnist-5k")
    page.get_by_text("The design's Input takes mnist-5k: [1, 28, 28] float32.").wait_for()
    page.get_by_text("Samples per class").first.wait_for()

    # Train: two epochs; the curves gain points while the run trains. One sample a step (3,500
    # steps an epoch, 7,000 in all) so that the run lasts several seconds even on a fast machine:
    # at 32 a step it can end within one refresh of the live panel, before a curve is seen
    # mid-run. One epoch lasted about 3 s (9 looks at the page, the layer heatmap seen at two
    # sizes only): too few to see it grow on a loaded machine.
    go(page, "Train")
    page.get_by_text("Trains seed-cnn on mnist-5k.").wait_for()
    for name, value in (("Epochs", "2"), ("Batch size", "1")):
        field = page.get_by_role("spinbutton", name=name, exact=True)
        field.fill(value)
        field.press("Enter")
        page.wait_for_timeout(1500)
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Stop", exact=True).wait_for()
    seen: list[int] = []  # the last step of the live loss curve, look by look
    layer_steps: list[int] = []  # the last step (column) of the live layer-diagnostics heatmap
    shot = False
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        if page.get_by_text("Completed: finished 2 epochs").count():
            break
        layers = chart(page, "Gradient norm")
        if layers is not None and layers["points"]:
            assert layers["types"] == ["heatmap"]
            layer_steps.append(layers["last"][0])
        loss = chart(page, "Loss")
        if loss is not None and loss["points"]:
            seen.append(loss["last"][0])
            if not shot and seen[-1] >= 1000:  # the page as a user watches it, mid-run
                page.screenshot(path=str(shots / "train.png"))
                shot = True
        page.wait_for_timeout(250)  # four looks per refresh of the live panel
    else:
        pytest.fail(f"the run did not complete in {TRAIN_TIMEOUT_S} s; loss points {seen}")
    growing = sorted(set(seen))
    assert len(growing) >= 2, f"the loss curve did not gain points while training: {seen}"
    assert seen == sorted(seen)
    assert len(set(layer_steps)) >= 2, f"the layer heatmap did not grow live: {layer_steps}"
    assert "epoch 2/2 · step 7000/7000" in page.locator('[data-testid="stProgress"]').inner_text()
    if not shot:
        page.screenshot(path=str(shots / "train.png"))

    # Results: test metrics and the confusion matrix.
    go(page, "Results")
    page.get_by_text("Accuracy on the test set").wait_for()
    page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".some(el => (el.data || []).some(t => t.type === 'heatmap'))")
    confusion = chart(page, "Confusion matrix")
    assert confusion is not None and confusion["types"] == ["heatmap"]
    page.get_by_text("Most confidently wrong").first.wait_for()
    # Look inside: Grad-CAM over the most confidently wrong sample, drawn over the digit
    page.get_by_role("heading", name="Look inside").wait_for()
    page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".some(el => (el.data || []).some(t => t.type === 'image'))")
    overlay = chart(page, "Grad-CAM for")
    assert overlay is not None and overlay["types"] == ["image", "heatmap"]
    assert page.get_by_text(re.compile(r"test sample \d+: the model says .* \(true: "))\
        .count() >= 1
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "results.png"))

    # Export: the run's ONNX file, checked by the app, downloaded and run with onnxruntime.
    go(page, "Export")  # right after training it opens on the trained run, not fresh weights
    run = page.get_by_role("combobox", name="Run")
    run.wait_for()
    assert page.get_by_role("radio", name="A run (trained weights)").is_checked()
    assert run.input_value().startswith("seed-cnn #1 · mnist-5k · completed")
    # the button on the onnx row (found by the row, not by position: while the page reruns
    # after the choice of a run, a position can point at another row's button)
    row = page.locator('[data-testid="stHorizontalBlock"]').filter(
        has=page.get_by_text("onnx", exact=True)).filter(has_text="opset")
    row.get_by_role("button", name="Build and check", exact=True).click()
    # the server's first export imports torch.onnx and onnxscript: slow on a busy machine
    try:
        page.get_by_text("(seed-cnn-run1.onnx)").wait_for(timeout=300_000)
    except Exception:
        page.screenshot(path=os.environ.get("LAYERLOOM_DEBUG_SHOT", "/tmp/layerloom-fail.png"))
        raise
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").first.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "seed-cnn-run1.onnx"

    import onnxruntime
    import torch

    from layerloom.graph.compile import compile_graph
    from layerloom.runtime import RunStore, load_dataset
    from layerloom.runtime.export import run_export

    graph, info = run_export(1, RunStore(app_home / "runs.db"))
    model = compile_graph(graph).eval()
    model.load_state_dict(info.state_dict)
    x = load_dataset("mnist-5k").x_test[:8]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    assert got.shape == (8, 10)
    assert np.abs(got - want).max() < 1e-4
