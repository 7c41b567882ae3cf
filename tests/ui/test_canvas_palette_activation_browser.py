"""The palette says, under its Activation group, that an activation is a block of its own to
put after each Linear or Conv, at a 1366×768 window, in a real browser (Debian's Chromium
driven by Playwright against the designer started on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

A user from Keras looks for activation='relu' among a Dense or Conv2D's params, finds none, and
nothing where the blocks are picked said that the activation is a block here. Skipped where
Chromium or Playwright is missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import mlp, open_project

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def designs():
    return {"mlp": mlp()}


def test_the_activation_group_says_it_is_a_block_after_each_layer(app_url, page, projects):
    frame = open_project(page, app_url, projects["mlp"], '[data-testid="node-linear1"]')
    note = frame.locator('[data-testid="palette-activation-note"]')
    expect(note).to_have_text("A block of its own: put one after each Linear or Conv (Keras' "
                              "activation='relu').")
    # under the group's title, above its first block, in view as the palette opens
    title = frame.locator(".ll-group-title", has_text="Activation").bounding_box()
    relu = frame.locator('[data-testid="palette-item-ReLU"]').bounding_box()
    box = note.bounding_box()
    assert title["y"] < box["y"] < relu["y"]
    # the Linear's help, on hover, says it too
    linear = frame.locator('[data-testid="palette-item-Linear"]')
    assert "no activation of its own" in linear.get_attribute("title")
    # a search shows its matches, without the note
    frame.locator('[data-testid="palette-search"]').fill("relu")
    expect(note).to_have_count(0)
