"""Sessions: the bare URL opens each browser's own last project (a browser id cookie), else the
most recently edited project (a browser without the cookie: retyping the address in a private
window must not seem to lose the work), else a new starter project; two people on one project
keep each other's work as snapshots."""

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


def test_a_browser_without_a_link_or_cookie_reopens_the_latest_project(home, canvas):
    first = _project_of(app_test())  # an empty home: the starter project
    again = _project_of(app_test())  # another browser (no cookie), the bare URL
    assert again == first  # reopened, not a second copy of the starter
    assert [p.name for p in (home / "projects").iterdir()] == [first]


def test_the_bare_url_opens_the_most_recently_edited_project(home, canvas):
    store = ProjectStore(home)
    older = store.create(load_template("seed-cnn"))
    newer = store.create(load_template("mlp-tabular"))
    assert _project_of(app_test()) == newer
    state = DesignerState.open(store, older)
    state.commit(_renamed(state.graph, "edited"))
    assert _project_of(app_test()) == older  # edited last
    assert len(store.list()) == 2


def _renamed(graph, name):
    graph = graph.copy()
    graph.name = name
    return graph


def test_a_browser_that_comes_back_without_a_link_gets_its_last_project(home, canvas,
                                                                        monkeypatch):
    monkeypatch.setattr(session, "browser_id", lambda: "ab" * 16)
    first = _project_of(app_test())
    store = ProjectStore(home)
    other = store.create(load_template("mlp-tabular"))  # edited after: the latest
    again = _project_of(app_test())  # the same browser (its cookie), a new session
    assert again == first  # its own last project, not the latest
    monkeypatch.setattr(session, "browser_id", lambda: "cd" * 16)
    assert _project_of(app_test()) == other  # another browser: the latest
    settings = store.settings()
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


def test_boot_opens_the_link_else_the_browsers_last_else_the_latest_else_a_new_project(
        tmp_path):
    store = ProjectStore(tmp_path)
    assert DesignerState.boot(store, None, None).graph.name == "seed-cnn"  # none yet: a new one
    [first] = [p.id for p in store.list()]
    pid = store.create(load_template("seed-cnn"))
    assert DesignerState.boot(store, None, first).project_id == first
    assert DesignerState.boot(store, None, None).project_id == pid  # the latest
    state = DesignerState.boot(store, None, "gone-123456")
    assert state.project_id == pid
    assert "Could not open project gone-123456 from last time" in state.notices[0].text
    link = DesignerState.boot(store, "gone-654321", None)
    assert link.project_id == pid
    assert "Could not open project gone-654321 from the link" in link.notices[0].text
    assert len(store.list()) == 2  # no copy made


def test_boot_passes_over_a_latest_project_that_does_not_open(tmp_path):
    store = ProjectStore(tmp_path)
    good = store.create(load_template("seed-cnn"))
    broken = store.create(load_template("mlp-tabular"))
    (tmp_path / "projects" / broken / "graph.json").write_text("{not json", encoding="utf-8")
    state = DesignerState.boot(store, None, None)
    assert state.project_id == good and not state.notices
