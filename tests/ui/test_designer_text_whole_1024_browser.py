"""The designer page at 1024×768, 1366×768 and 1440×900 (Chromium via Playwright, the app on a
free port with a fresh ``LAYERLOOM_HOME``) cuts no text short with an ellipsis. At 1024 px the
Variables panel's Add button read "A…" (a third of the side column, beside the New variable and
Value boxes) and its "New variable" label took two lines; the Model graph's Find a layer box
showed its example cut ("a layer's name or type, e.g. conv or st")."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

TIMEOUT_MS = 45_000

# every element of the page that shows its text cut with an ellipsis: [text, needs, has] in px
CUT_JS = """() => [...document.querySelectorAll('*')]
  .filter(e => e.offsetParent && getComputedStyle(e).textOverflow === 'ellipsis'
               && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim())
  .map(e => [e.innerText.trim().slice(0, 80), e.scrollWidth, e.clientWidth])"""


@pytest.fixture(scope="module")
def designs():
    from layerloom.graph.templates import load_template

    return {"cnn": load_template("seed-cnn"), "resnet": load_template("resnet-mini")}


@pytest.mark.parametrize("width, height", [(1024, 768), (1366, 768), (1440, 900)])
def test_no_text_of_the_designer_is_cut(width, height, app_url, browser, browser_page,
                                        projects):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": width, "height": height}) as page:
        page.goto(f"{app_url}/?project={projects['cnn']}")
        add = page.locator('[data-testid="stFormSubmitButton"] button').filter(has_text="Add")
        add.first.wait_for(timeout=3 * TIMEOUT_MS)
        page.locator(".st-key-statusbar").get_by_text("valid").wait_for(timeout=3 * TIMEOUT_MS)
        page.wait_for_timeout(1000)
        assert page.evaluate(CUT_JS) == [], f"text cut at {width} px"
        label = page.get_by_text("New variable", exact=True).bounding_box()
        value = page.get_by_text("Value", exact=True).bounding_box()
        assert label["height"] < 1.5 * value["height"], "'New variable' on two lines"


# each text box whose placeholder is wider than the box: [placeholder, needs, has] in px
PLACEHOLDER_JS = """() => [...document.querySelectorAll('input[placeholder]')]
  .filter(e => e.offsetParent && e.placeholder)
  .map(e => {
    const cs = getComputedStyle(e);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const room = e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return [e.placeholder, Math.ceil(ctx.measureText(e.placeholder).width), Math.floor(room)];
  })
  .filter(([, needs, has]) => needs > has)"""


def test_the_model_graph_s_find_box_shows_its_example_whole(app_url, browser, browser_page,
                                                             projects):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1024, "height": 768}) as page:
        page.goto(f"{app_url}/?project={projects['resnet']}")  # beside Expanded blocks
        page.get_by_text("Model graph", exact=True).click(timeout=3 * TIMEOUT_MS)
        page.get_by_text("Expand all").wait_for(timeout=3 * TIMEOUT_MS)
        page.get_by_label("Find a layer").wait_for(timeout=3 * TIMEOUT_MS)
        page.wait_for_timeout(500)
        assert page.evaluate(PLACEHOLDER_JS) == [], "a box's example is cut"
