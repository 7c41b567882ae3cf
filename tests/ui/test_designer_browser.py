"""The designer in a real browser: Debian's Chromium driven by Playwright against the app
started on a free port with a fresh ``LAYERLOOM_HOME``.

Drag Linear from the palette and wire it; edit a param and watch the error come and go; undo;
group two blocks; reload and find the design intact. Screenshots of both themes go to
``designer-{light,dark}.png`` in the screenshots folder (``shots``, tests/ui/conftest.py:
a temporary folder, or ``assets/screenshots/`` with ``make screenshots``). Skipped where
Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

IFRAME = 'iframe[title*="layerloom_canvas"]'
TIMEOUT_MS = 30_000

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def page(browser, browser_page):
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1600, "height": 1000}) as pg:
        yield pg


def _open(page, url):
    page.goto(url)
    frame = page.frame_locator(IFRAME)
    # the app's first page imports torch: on a loaded machine that alone can take 30 s
    frame.locator('[data-testid="node-conv1"], [data-testid="node-block1"]').first.wait_for(
        timeout=90_000)
    return frame


def _type_param(page, name: str, value: str, took_effect, tries: int = 3) -> None:
    """Type ``value`` into the inspector's ``name`` box and press Enter, until ``took_effect()``
    passes: on a loaded machine the inspector can rerun while the text is typed and drop it."""
    for attempt in range(tries):
        box = page.get_by_role("textbox", name=name, exact=True)
        box.fill(value)
        box.press("Enter")
        try:
            took_effect()
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


def _status(page):
    return page.locator(".st-key-statusbar")


def _saved(home: Path, page) -> dict:
    pid = re.search(r"project=([a-z0-9-]+)", page.url).group(1)
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_design_in_the_browser(app_url, page, app_home, drag):
    frame = _open(page, app_url)
    expect(_status(page)).to_contain_text("34,826 params")
    assert re.search(r"project=seed-cnn-[0-9a-f]{6}", page.url)

    # the first view shows the inputs at a legible zoom, with the far end (flat) off to the
    # right: fit the whole design in view first, as a user would, and let the pan settle
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(500)
    expect(frame.locator('[data-testid="node-flat"]')).to_be_in_viewport()

    # drag Linear from the palette onto an empty spot, then wire flat → linear1
    pane = frame.locator(".react-flow__pane")
    box = pane.bounding_box()
    frame.locator('[data-testid="palette-item-Linear"]').drag_to(
        pane, target_position={"x": box["width"] * 0.6, "y": box["height"] - 90})
    linear = frame.locator('[data-testid="node-linear1"]')
    linear.wait_for()
    expect(page.get_by_role("heading", name="Linear")).to_be_visible()  # the inspector
    drag(page, frame.locator('.react-flow__handle.source[data-nodeid="flat"]'),
          frame.locator('.react-flow__handle.target[data-nodeid="linear1"]'))
    expect(frame.locator('[data-testid="edge-label-flat-linear1"]')).to_have_text("1600")
    expect(linear).to_contain_text("→ 10")  # its output shape, inferred by Python
    expect(linear).to_contain_text("16k params")
    assert any(e["source"] == "flat" and e["target"] == "linear1"
               for e in _saved(app_home, page)["edges"])

    # edit a param in the inspector: the error appears, then goes
    frame.locator('[data-testid="node-conv2"]').click()
    expect(page.get_by_role("heading", name="Conv2d")).to_be_visible()
    expect(page.get_by_role("textbox", name="kernel_size", exact=True)).to_have_value("3")
    other = page.get_by_role("textbox", name="out_channels", exact=True).element_handle()
    _type_param(page, "kernel_size", "20", lambda: expect(_status(page)).to_contain_text("1 error"))
    conv2 = frame.locator('[data-testid="node-conv2"]')
    expect(conv2).to_have_class(re.compile("ll-error"))
    expect(page.get_by_text("kernel 20×20 is larger than its 13×13 input").first).to_be_visible()
    # the error came above the fields, and the other fields are the same boxes (what is being
    # typed in one stays): before the problems had a slot of their own, all were re-created
    assert other.evaluate("e => e.isConnected")
    _type_param(page, "kernel_size", "3", lambda: expect(_status(page)).to_contain_text("valid"))
    expect(conv2).not_to_have_class(re.compile("ll-error"))

    # undo, one step at a time: kernel 20 again (the error is back), kernel 3, the edge, the
    # Linear block
    undo = frame.locator('[data-testid="btn-undo"]')
    edge = frame.locator('[data-testid="edge-label-flat-linear1"]')
    undo.click()
    expect(conv2).to_have_class(re.compile("ll-error"))
    undo.click()
    expect(conv2).not_to_have_class(re.compile("ll-error"))
    expect(edge).to_have_count(1)
    undo.click()
    expect(edge).to_have_count(0)
    expect(linear).to_have_count(1)
    undo.click()
    expect(linear).to_have_count(0)
    expect(_status(page)).to_contain_text("34,826 params")
    expect(_status(page)).to_contain_text("valid")

    # selecting other blocks leaves the history alone: redo brings Linear back, undo again
    frame.locator('[data-testid="node-conv1"]').click()
    frame.locator('[data-testid="node-relu1"]').click(modifiers=["Shift"])
    expect(page.get_by_role("heading", name="2 blocks selected")).to_be_visible()
    frame.locator('[data-testid="btn-redo"]').click()
    expect(linear).to_have_count(1)
    undo.click()
    expect(linear).to_have_count(0)

    # group the two blocks still selected
    group = frame.locator('[data-testid="btn-group"]')
    expect(group).to_be_enabled()
    group.click()
    block = frame.locator('[data-testid="node-block1"]')
    block.wait_for()
    expect(frame.locator('[data-testid="node-conv1"]')).to_have_count(0)
    expect(block).to_contain_text("32×26×26")
    expect(_status(page)).to_contain_text("34,826 params")
    assert "Block" in _saved(app_home, page)["blocks"]

    # reload: the same design comes back
    url = page.url
    page.reload()
    frame = page.frame_locator(IFRAME)
    frame.locator('[data-testid="node-block1"]').wait_for()
    expect(frame.locator('[data-testid="node-conv1"]')).to_have_count(0)
    assert page.url == url
    expect(_status(page)).to_contain_text("34,826 params")


def test_a_notice_leaves_the_canvas_in_place(app_url, page):
    """A notice above the canvas (here an error: a duplicate id) comes and goes without the
    canvas being re-created: its frame, and what it holds in memory (events not yet answered,
    a drag in progress), stay; it stays through the next edit until its close button. Before
    the notices had a slot of their own, each one shifted the canvas in the page and Streamlit
    re-created its frame, twice."""
    frame = _open(page, app_url)
    canvas = next(f for f in page.frames if "layerloom_canvas" in f.url)
    canvas.evaluate("window.__kept = 'the same frame'")
    frame.locator('[data-testid="node-conv2"]').click()
    expect(page.get_by_role("heading", name="Conv2d")).to_be_visible()
    box = page.get_by_label("Id", exact=True)
    box.fill("conv1")
    box.press("Enter")
    # the banner above the canvas (a toast says it too, where the user is looking)
    notice = page.get_by_test_id("stAlertContentError").get_by_text(
        "conv2: there is already a block 'conv1' (a Conv2d): an id names one block; pick "
        "another, such as 'conv3'")
    expect(notice).to_be_visible()
    assert not canvas.is_detached()
    assert canvas.evaluate("window.__kept") == "the same frame"
    frame.locator('[data-testid="node-relu1"]').click()  # the next run: the error stays
    expect(page.get_by_role("heading", name="ReLU")).to_be_visible()
    expect(notice).to_be_visible()  # until the user closes it: never gone unread
    page.locator('[class*="st-key-dismiss-"] button').first.click()
    expect(notice).to_have_count(0)
    assert not canvas.is_detached()
    assert canvas.evaluate("window.__kept") == "the same frame"


def test_a_block_dropped_just_before_leaving_the_page_is_kept(app_url, page, app_home):
    """A block dropped and, at once, another page opened (the canvas holds a just-added block
    for 250 ms): the drop reaches Python with the click that leaves (the canvas hands its events
    over when it loses focus, and the app applies them whatever page it draws)."""
    frame = _open(page, app_url)
    ids = {n["id"] for n in _saved(app_home, page)["nodes"]}
    pane = frame.locator(".react-flow__pane")
    box = pane.bounding_box()
    frame.locator('[data-testid="palette-item-ReLU"]').drag_to(
        pane, target_position={"x": box["width"] * 0.5, "y": box["height"] - 80})
    # at once, the way a person clicks (a press, ~0.1 s, a release): the press takes the focus
    # from the canvas, which hands its events over then. (Playwright's own click presses and
    # releases at the same instant; Streamlit can then take the canvas's rerun after the page
    # switch's and stay on the page, a race no hand is quick enough for.)
    link = page.get_by_role("link", name="Train", exact=True).bounding_box()
    page.mouse.move(link["x"] + link["width"] / 2, link["y"] + link["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(100)
    page.mouse.up()
    expect(page.get_by_role("heading", name="Train")).to_be_visible(timeout=TIMEOUT_MS)

    def dropped():
        new = [n for n in _saved(app_home, page)["nodes"] if n["id"] not in ids]
        assert [n["type"] for n in new] == ["ReLU"]

    _retry(dropped)
    page.get_by_role("link", name="Designer", exact=True).click()
    frame = page.frame_locator(IFRAME)
    expect(frame.locator(".react-flow__node")).to_have_count(len(ids) + 1, timeout=TIMEOUT_MS)


class HeldAnswers:
    """The app's websocket routed through the test: what the browser sends goes on at once;
    what the server sends is held while ``hold`` is set and delivered, in order, by
    ``release()``. ``finished`` counts the script runs the server has finished. Messages pass
    only while Playwright runs (a wait on the page, not ``time.sleep``)."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.hold, self.held, self.finished, self.ws = False, [], 0, None
        self.ends: list[int] = []  # where in ``held`` each held run's end is

        def route(ws):
            server = ws.connect_to_server()

            def from_server(message):
                if isinstance(message, bytes):
                    msg = ForwardMsg()
                    msg.ParseFromString(message)
                    if msg.WhichOneof("type") == "script_finished":
                        self.finished += 1
                        if self.hold:
                            self.ends.append(len(self.held) + 1)
                if self.hold:
                    self.held.append(message)
                else:
                    ws.send(message)

            server.on_message(from_server)
            ws.on_message(server.send)
            self.ws = ws

        page.route_web_socket(re.compile(r".*/_stcore/stream"), route)

    def wait_finished(self, page, count: int) -> None:
        for _ in range(300):
            if self.finished >= count:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"the server finished {self.finished} runs, not {count}")

    def release(self, page) -> None:
        """Deliver what is held, one run after another, each drawn before the next arrives
        (0.5 s apart), as a slow server's answers come; then stop holding. What arrives
        meanwhile (the answer to a run the delivered answers asked for) is delivered after."""
        while self.held:
            end = self.ends.pop(0) if self.ends else len(self.held)
            for message in self.held[:end]:
                self.ws.send(message)
            del self.held[:end]
            self.ends = [e - end for e in self.ends]
            page.wait_for_timeout(500)
        self.hold = False  # no Playwright call since the last look: nothing arrived between


def _conv2_out_channels(home: Path, page):
    return next(n for n in _saved(home, page)["nodes"] if n["id"] == "conv2")["params"][
        "out_channels"]


@pytest.mark.parametrize("kind", ["text", "number"])
def test_text_typed_into_a_box_that_a_late_run_re_creates_is_kept(app_url, page, app_home, kind):
    """The issue's pattern, made exact: a block dropped, conv2 clicked at once, and its
    out_channels typed into the form still on the page while the server's answers are late
    (held here): the drop's run draws the new block's inspector, the click's run conv2's again,
    so the box typed into is replaced before Enter. The text and the focus move to the new box
    (the page's keep-typing script), and Enter saves it. Without it, the focus fell to the page
    and the typed value was lost. Both boxes: a text box (the template's expression) and a
    number box holding a value typed into it (drawn anew under another key)."""
    answers = HeldAnswers(page)
    frame = _open(page, app_url)
    # the script's container takes no room in the page, nor a gap of its column
    assert page.evaluate("getComputedStyle(document.querySelector('.st-key-keep_typing')"
                         ".parentElement).display") == "none"
    frame.locator('[data-testid="node-conv2"]').click()
    box = page.get_by_label("out_channels", exact=True)
    expect(box).to_have_count(1)
    if kind == "number":  # 40 typed into the text box, then 41 into the number box it became
        box.fill("40")
        box.press("Enter")
        _saved_soon(page, app_home, 40)
        number = page.get_by_role("spinbutton", name="out_channels")
        expect(number).to_have_value("40")
        number.fill("41")
        number.press("Enter")
        _saved_soon(page, app_home, 41)
        # the box keeps its key (drawn for 40) while it holds the user's 41; drawn anew after
        # the dropped block's form, it has the key of 41: another key, the same field and value
        page.wait_for_timeout(500)
    page.wait_for_timeout(500)
    answers.hold = True
    done = answers.finished
    pane = frame.locator(".react-flow__pane")
    area = pane.bounding_box()
    frame.locator('[data-testid="palette-item-ReLU"]').drag_to(
        pane, target_position={"x": area["width"] * 0.5, "y": area["height"] * 0.85})
    answers.wait_finished(page, done + 1)  # the drop's run: the ReLU's inspector
    frame.locator('[data-testid="node-conv2"]').click()
    answers.wait_finished(page, done + 2)  # the click's run: conv2's inspector again
    typed = box.element_handle()
    box.fill("37")
    answers.release(page)
    page.wait_for_function("e => !e.isConnected", arg=typed, timeout=TIMEOUT_MS)
    expect(box).to_have_value("37")  # the new box holds the text
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "out_channels"
    page.keyboard.press("Enter")  # where the focus is, as a person's Enter goes

    _saved_soon(page, app_home, 37)


def _saved_soon(page, home: Path, want) -> None:
    """Wait for conv2's out_channels to be ``want`` on disk (through the page: see _retry)."""
    def saved():
        assert _conv2_out_channels(home, page) == want

    _retry(saved, page=page)


def _retry(check, tries: int = 40, wait_s: float = 0.5, page=None) -> None:
    """Call ``check`` until it passes (its last AssertionError raised after ``tries``). With
    ``page``, waiting goes through it: a test's websocket route forwards the browser's messages
    only while Playwright runs."""
    import time

    for attempt in range(tries):
        try:
            check()
            return
        except AssertionError:
            if attempt == tries - 1:
                raise
            if page is None:
                time.sleep(wait_s)
            else:
                page.wait_for_timeout(wait_s * 1000)


def _frame_the_design(page, frame):
    """Fit (at a readable zoom, no zooming in needed) and select conv2, so that the cards and
    the inspector read well."""
    frame.locator('[data-testid="btn-fit"]').click()
    page.wait_for_timeout(400)
    frame.locator('[data-testid="node-conv2"]').click()
    expect(page.get_by_role("heading", name="Conv2d")).to_be_visible()
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    page.wait_for_timeout(800)


def test_screenshots_of_both_themes(app_url, page, shots):
    frame = _open(page, app_url)
    frame.locator('[data-testid="btn-layout"]').click()
    page.wait_for_timeout(600)
    _frame_the_design(page, frame)
    page.screenshot(path=str(shots / "designer-light.png"))

    page.get_by_text("Dark theme").click()  # the page reloads in Streamlit's dark theme
    page.wait_for_timeout(1500)
    frame = page.frame_locator(IFRAME)
    frame.locator(".ll-root.ll-dark").wait_for()
    frame.locator('[data-testid="node-conv2"]').wait_for()
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert background != "rgb(255, 255, 255)", background
    _frame_the_design(page, frame)
    page.screenshot(path=str(shots / "designer-dark.png"))
    page.get_by_text("Dark theme").click()  # back to light for the next run
    page.wait_for_timeout(1500)


def test_the_help_icon_of_a_toggle_does_not_flip_it(app_url, page, app_home):
    """The "?" beside a yes/no field sits inside its label: a click on it shows the help and
    leaves the field (and the saved design) as it was; a click on the label's words still
    flips it."""
    frame = _open(page, app_url)
    frame.locator('[data-testid="node-conv2"]').click()
    label = page.locator("label").filter(has_text=re.compile(r"^bias$"))
    expect(label).to_have_count(1)
    icon = label.locator('[data-testid="stTooltipIcon"]')
    expect(icon).to_have_count(1)
    box = label.locator("input")
    before = box.is_checked()
    saved = _saved(app_home, page)
    for _ in range(2):
        icon.click()
        page.wait_for_timeout(800)
        assert box.is_checked() == before
    assert _saved(app_home, page) == saved


def _conv2_kernel(home: Path, page):
    conv2 = next(n for n in _saved(home, page)["nodes"] if n["id"] == "conv2")
    return conv2["params"].get("kernel_size")


def test_text_typed_and_not_committed_is_saved_when_the_tab_is_closed(app_url, page, app_home):
    """Typing 5 into conv2's kernel_size and closing the tab before Enter (or a click
    elsewhere) used to lose the 5 with the page. The page now leaves the box (which commits it)
    and has the browser ask before it goes; the 5 is saved. With nothing typed, the tab closes
    without a question."""
    frame = _open(page, app_url)
    frame.locator('[data-testid="node-conv2"]').click()
    box = page.get_by_role("textbox", name="kernel_size", exact=True)
    expect(box).to_have_value("3")
    assert _conv2_kernel(app_home, page) == 3
    box.click()
    box.press("Control+a")
    box.press_sequentially("5")  # typed as a person types: no Enter, the focus stays
    page.wait_for_timeout(300)
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    _retry(lambda: _check(asked == ["beforeunload"]), page=page)
    _retry(lambda: _check(_conv2_kernel(app_home, page) == 5), page=page)
    expect(box).to_have_value("5")

    with page.expect_event("close", timeout=10_000):  # nothing typed now: no question
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]


def _check(ok: bool) -> None:
    assert ok


def test_a_canvas_edit_python_has_not_answered_is_saved_when_the_tab_is_closed(
        app_url, browser, browser_page, app_home, shots):
    """A block dropped on the canvas and the tab closed at once (the server's answer late, held
    here): the canvas still has events Python has not acknowledged, so it hands them over and
    the browser asks before leaving; the user stays, the answer comes, the block is saved. With
    nothing pending, the tab closes without a question. At 1366x768. Without it, the canvas
    never asked (only a param typed and not committed did) and the edit could go with the
    page."""
    with browser_page(browser, timeout_ms=TIMEOUT_MS,
                      viewport={"width": 1366, "height": 768}) as page:
        answers = HeldAnswers(page)
        frame = _open(page, app_url)
        ids = {n["id"] for n in _saved(app_home, page)["nodes"]}
        page.wait_for_timeout(500)
        asked: list[str] = []
        page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
        answers.hold = True
        pane = frame.locator(".react-flow__pane")
        area = pane.bounding_box()
        frame.locator('[data-testid="palette-item-ReLU"]').drag_to(
            pane, target_position={"x": area["width"] * 0.5, "y": area["height"] * 0.85})
        page.close(run_before_unload=True)
        _retry(lambda: _check(asked == ["beforeunload"]), page=page)
        page.screenshot(path=str(shots / "canvas-leave-asked-1366.png"))
        answers.release(page)

        def dropped():
            new = [n for n in _saved(app_home, page)["nodes"] if n["id"] not in ids]
            assert [n["type"] for n in new] == ["ReLU"]

        _retry(dropped, page=page)
        expect(frame.locator(".react-flow__node")).to_have_count(len(ids) + 1)
        page.wait_for_timeout(1500)  # Python's answer (its ack) reaches the canvas
        with page.expect_event("close", timeout=10_000):  # nothing pending: no question
            page.close(run_before_unload=True)
        assert asked == ["beforeunload"]
