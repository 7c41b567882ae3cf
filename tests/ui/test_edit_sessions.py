"""Sessions: the bare URL opens each browser's own last project (a browser id cookie), not one
project shared by everyone; two people on one project keep each other's work as snapshots."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.ui import state as session
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import app_test


def _project_of(at) -> str:
    at.run()
    assert not at.exception, at.exception
    return at.query_params["project"]


def test_two_browsers_without_a_link_get_projects_of_their_own(home, canvas):
    first, second = _project_of(app_test()), _project_of(app_test())
    assert first != second  # no shared last project
    assert (home / "projects" / first).is_dir() and (home / "projects" / second).is_dir()


def test_a_browser_that_comes_back_without_a_link_gets_its_last_project(home, canvas,
                                                                        monkeypatch):
    monkeypatch.setattr(session, "browser_id", lambda: "ab" * 16)
    first = _project_of(app_test())
    again = _project_of(app_test())  # the same browser (its cookie), a new session
    assert again == first
    monkeypatch.setattr(session, "browser_id", lambda: "cd" * 16)
    other = _project_of(app_test())  # another browser
    assert other != first
    settings = ProjectStore(home).settings()
    assert settings["browsers"] == {"ab" * 16: first, "cd" * 16: other}
    assert "last_project" not in settings


def test_a_new_browser_is_given_its_id_cookie(home, canvas):
    at = app_test()
    at.run()
    scripts = [h.proto.body for h in at.get("html")]
    assert any(f'document.cookie = "{session.BROWSER_COOKIE}=' in s and "max-age=" in s
               for s in scripts), scripts


def test_store_remembers_the_last_project_of_each_browser(tmp_path):
    store = ProjectStore(tmp_path)
    assert store.browser_project("x" * 16) is None
    store.remember_browser("a" * 16, "p-1")
    store.remember_browser("b" * 16, "p-2")
    store.remember_browser("a" * 16, "p-3")
    assert store.browser_project("a" * 16) == "p-3"
    assert store.browser_project("b" * 16) == "p-2"
    assert list(store.settings()["browsers"]) == ["b" * 16, "a" * 16]  # newest last


def test_boot_opens_the_link_else_the_browsers_last_else_a_new_project(tmp_path):
    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    assert DesignerState.boot(store, None, pid).project_id == pid
    state = DesignerState.boot(store, None, "gone-123456")
    assert state.project_id != pid
    assert "Could not open project gone-123456" in state.notices[0].text
    assert DesignerState.boot(store, None, None).project_id not in (pid, state.project_id)


def test_a_new_browser_is_told_where_the_designs_made_before_are(tmp_path):
    """A browser new to the server starts its own design; a banner names the designs made
    before and the last changed one's link, so nobody takes their work for lost."""
    store = ProjectStore(tmp_path)
    first = DesignerState.boot(store, None, None)
    assert not [n for n in first.notices if "starts its own design" in n.text]  # nothing before
    graph = load_template("mlp-tabular")
    graph.name = "my classifier"
    mine = store.create(graph)
    state = DesignerState.boot(store, None, None)
    assert state.project_id not in (first.project_id, mine)
    [notice] = [n for n in state.notices if "starts its own design" in n.text]
    assert notice.kind == "hint"  # a toast shown long: the canvas does not move for it
    assert notice.text == (
        "This browser starts its own design, a new copy of seed-cnn. The 2 designs made before "
        "are in the project list at the top left; the last changed is “my classifier” (its "
        f"link: ?project={mine}).")
    # A browser that comes back to its design is told nothing.
    again = DesignerState.boot(store, None, state.project_id)
    assert not [n for n in again.notices if "starts its own design" in n.text]
