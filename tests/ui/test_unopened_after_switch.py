"""A project that could not be opened, once the user opens another one (AppTest, the whole app
with a fake canvas): a mistyped link's panel ('Project seed-cnn-2 could not be opened … It has
no snapshots to open instead') stayed above every design opened after it until dismissed; it
goes once there is nothing left to offer. A broken project with snapshots keeps its panel,
which opens them."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test, shown


def _warnings(at) -> list[str]:
    return [shown(w.value) for w in at.warning]


def _switch(at, project_id: str) -> None:
    next(s for s in at.selectbox if s.label == "Project").set_value(project_id).run()
    assert not at.exception, at.exception
    assert at.query_params["project"] == project_id


def test_a_mistyped_link_is_not_said_again_over_the_next_design(home, canvas):
    other = ProjectStore().create(load_template("lenet5"))
    at = app_test()
    at.query_params["project"] = "seed-cnn-2"
    at.run()
    assert not at.exception
    assert [w.startswith("There is no project “seed-cnn-2” on this server")
            for w in _warnings(at)] == [True]
    _switch(at, other)
    assert not any("There is no project" in w for w in _warnings(at))
    assert not any("seed-cnn-2" in w for w in _warnings(at))
    at.run()
    assert not any("seed-cnn-2" in w for w in _warnings(at))


def test_a_broken_project_with_snapshots_keeps_offering_them(home, canvas):
    store = ProjectStore()
    broken = store.create(load_template("seed-cnn"))
    store.snapshot(broken, "good", store.load(broken).graph)
    (home / "projects" / broken / "graph.json").write_text("{ not json")
    other = store.create(load_template("lenet5"))
    at = app_test()
    at.query_params["project"] = broken
    at.run()
    assert any(w.startswith(f"Project {broken} could not be opened") for w in _warnings(at))
    _switch(at, other)
    assert any(w.startswith(f"Project {broken} could not be opened") for w in _warnings(at))
    assert any(b.label == "Open snapshot as a new project" for b in at.button)
