"""Open a Hugging Face model exported to ONNX in a real browser (Debian's Chromium driven by
Playwright, a 1440×900 window): DistilBERT by the dynamo exporter (the fixture of
tests/export/transformers_onnx/) through the project panel's "Open a model (ONNX)". Its blocks
are named after the model's modules, as `layerloom import-onnx` names them — the embeddings,
``encoder_layer`` ×2, ``pre_classifier``, ``classifier`` — where they read ``node_Softmax``,
``node_linear_13`` and ``embedding_1``, the exporter's own names. The screenshot
``open-distilbert.png`` goes to the screenshots folder (``shots``). Skipped where Chromium or
Playwright is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 45_000
FIXTURE = Path(__file__).parents[1] / "export" / "transformers_onnx" / "distilbert_dynamo.onnx"

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1440, "height": 900}) as pg:
        yield pg


def test_distilbert_opens_with_its_modules_names(app_url, page, shots):
    page.goto(app_url)
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-conv1"]').wait_for(timeout=3 * TIMEOUT_MS)
    page.get_by_test_id("stPopoverButton").filter(has_text="Open").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="Open a model (ONNX)")
    uploader.locator('input[type="file"]').set_input_files(str(FIXTURE))
    expect(page.get_by_text("Opened distilbert_dynamo.onnx as the new project")).to_be_visible(
        timeout=3 * TIMEOUT_MS)
    page.keyboard.press("Escape")
    blocks = {"word_embeddings": "Embedding", "embeddings_positions": "PositionalEmbedding",
              "encoder_layer": "TransformerEncoder", "pre_classifier": "Linear",
              "classifier": "Linear"}
    for node, kind in blocks.items():
        block = frame.locator(f'[data-testid="node-{node}"]')
        expect(block).to_be_attached()
        expect(block).to_contain_text(kind)
    expect(frame.locator('[data-testid="node-encoder_layer"]')).to_contain_text("×2")
    ids = [n.get_attribute("data-id") for n in frame.locator(".react-flow__node").all()]
    assert not [i for i in ids if i.startswith("node_") or i == "embedding_1"], ids
    # the warning about the table names the block as the canvas does
    expect(page.get_by_text("embeddings_positions (PositionalEmbedding) imports trainable")) \
        .to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "open-distilbert.png"))
