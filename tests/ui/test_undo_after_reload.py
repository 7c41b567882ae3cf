"""Undo and redo outlive a reload of the page (AppTest, the whole app with a fake canvas). A
reload is a new session: a newcomer who reloaded to check the design was kept found Undo
greyed out ('Nothing to undo in this session'), the last edit no longer taken back. The new
session of the same browser takes the history of the one it replaces, once that one is gone;
a second tab still open keeps its own."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from layerloom.ui import state as session
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test


def node_ids(canvas) -> list[str]:
    return [n["id"] for n in canvas.last["graph"]["nodes"]]


class Browser:
    """Every AppTest session is one browser's; ``now`` names the session running (AppTest
    calls them all 'test session id'), ``closed`` those gone."""

    def __init__(self):
        self.now = "tab-1"
        self.closed: set[str] = set()
        self.id = "ab" * 16


@pytest.fixture
def one_browser(monkeypatch):
    browser = Browser()
    monkeypatch.setattr(session, "browser_id", lambda: browser.id)
    monkeypatch.setattr(session, "_session_id", lambda: browser.now, raising=False)
    monkeypatch.setattr(session, "_session_open", lambda sid: sid not in browser.closed,
                        raising=False)
    monkeypatch.setattr(session, "_TABS", OrderedDict(), raising=False)
    return browser


def _delete_relu1(at, canvas) -> str:
    at.run()
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    canvas.send("change", level)
    at.run()
    assert not at.exception, at.exception
    assert "relu1" not in node_ids(canvas) and canvas.last["can_undo"] is True
    return at.query_params["project"]


def test_undo_after_a_reload_takes_back_the_edit_made_before_it(home, canvas, one_browser):
    first = app_test()
    pid = _delete_relu1(first, canvas)
    one_browser.closed.add("tab-1")  # the page reloads: its session goes, a new one starts
    one_browser.now = "tab-2"
    reloaded = app_test()
    reloaded.query_params["project"] = pid
    reloaded.run()
    assert not reloaded.exception, reloaded.exception
    assert canvas.last["can_undo"] is True
    canvas.send("undo")
    reloaded.run()
    assert "relu1" in node_ids(canvas)
    assert "relu1" in [n.id for n in ProjectStore().load(pid).graph.nodes]
    assert canvas.last["can_redo"] is True


def test_a_second_tab_open_beside_the_first_does_not_take_its_history(home, canvas,
                                                                       one_browser):
    first = app_test()
    pid = _delete_relu1(first, canvas)
    one_browser.now = "tab-2"
    second = app_test()  # the first tab is still open
    second.query_params["project"] = pid
    second.run()
    assert not second.exception, second.exception
    assert canvas.last["can_undo"] is False
    assert "relu1" not in node_ids(canvas)


def test_the_train_settings_typed_before_a_reload_are_kept(home, canvas, one_browser):
    """Epochs 7 and batch 64 typed on the Train page came back as 10 and 32 after a reload."""
    from layerloom.ui.pagestate import pages_of
    from layerloom.ui.state import SESSION_KEY

    first = app_test()
    first.run()
    pid = first.query_params["project"]
    pages_of(first.session_state[SESSION_KEY]).config.update(epochs=7, batch_size=64)
    first.run()
    one_browser.closed.add("tab-1")
    one_browser.now = "tab-2"
    reloaded = app_test()
    reloaded.query_params["project"] = pid
    reloaded.run()
    assert not reloaded.exception, reloaded.exception
    config = pages_of(reloaded.session_state[SESSION_KEY]).config
    assert (config["epochs"], config["batch_size"]) == (7, 64)


def test_a_session_gone_long_ago_is_not_kept(home, canvas, one_browser, monkeypatch):
    """What a closed tab left is freed after a while (a reload takes seconds), by the next
    session of any browser: its designs and history are not held for ever."""
    monkeypatch.setattr(session, "LEFT_KEPT_S", 0, raising=False)
    first = app_test()
    pid = _delete_relu1(first, canvas)
    one_browser.closed.add("tab-1")
    one_browser.now, one_browser.id = "other-browser-tab", "cd" * 16
    app_test().run()  # someone else's session runs meanwhile
    one_browser.now, one_browser.id = "tab-2", "ab" * 16
    later = app_test()
    later.query_params["project"] = pid
    later.run()
    assert not later.exception, later.exception
    assert canvas.last["can_undo"] is False



def test_a_reload_onto_another_project_leaves_the_gone_tabs_settings_to_theirs(home, canvas,
                                                                               one_browser):
    """The Train page's settings of a tab gone from project A are A's: a new session of the
    browser opening project B starts from B's own (the defaults), not epochs 7 from A."""
    from layerloom.graph.templates import load_template
    from layerloom.ui.pagestate import pages_of
    from layerloom.ui.state import SESSION_KEY

    first = app_test()
    first.run()
    pages_of(first.session_state[SESSION_KEY]).config.update(epochs=7, batch_size=64)
    first.run()
    other = ProjectStore().create(load_template("mlp-tabular"))
    one_browser.closed.add("tab-1")
    one_browser.now = "tab-2"
    elsewhere = app_test()
    elsewhere.query_params["project"] = other
    elsewhere.run()
    assert not elsewhere.exception, elsewhere.exception
    config = pages_of(elsewhere.session_state[SESSION_KEY]).config
    assert (config.get("epochs"), config.get("batch_size")) != (7, 64)
