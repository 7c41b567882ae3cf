"""ui.projectruns: a project's runs, kept in the run store's project column; the old JSON index
is imported once."""

from __future__ import annotations

import json

from layerloom.runtime import RunStore
from layerloom.ui import projectruns


def new_run(store, **kw):
    return store.create_run("r", {"name": "g"}, {"source": "moons"}, {"epochs": 2}, **kw)


def test_remember_sets_the_column_and_runs_of_reads_it(home):
    store = RunStore()
    a, b, c = new_run(store), new_run(store, project="p"), new_run(store)
    projectruns.remember("p", a)
    projectruns.remember("q", c, store=store)
    assert projectruns.runs_of("p") == [a, b]  # oldest first
    assert projectruns.runs_of("q", store=store) == [c]
    assert store.get(a).project == "p"
    assert projectruns.runs_of("nobody") == []
    assert not (home / "ui" / "project-runs.json").exists()  # no side index any more


def test_current_run_prefers_the_active_run_else_the_latest(home):
    store = RunStore()
    assert projectruns.current_run(store, "p") is None
    old = new_run(store, project="p")
    store.set_status(old, "completed")
    new = new_run(store, project="p")
    store.set_status(new, "failed", "boom")
    new_run(store, project="other")  # queued, but another project's
    assert projectruns.current_run(store, "p").id == new
    store.set_status(old, "running")  # no pid recorded: run_status keeps it active
    assert projectruns.current_run(store, "p").id == old


def test_the_old_json_index_is_imported_once(home):
    store = RunStore()
    a, b, c = new_run(store), new_run(store, project="kept"), new_run(store)
    index = home / "ui" / "project-runs.json"
    index.parent.mkdir(parents=True)
    index.write_text(json.dumps({"p": [a, b, 999], "q": [c]}), encoding="utf-8")
    assert projectruns.runs_of("p") == [a]  # b keeps its project; 999 is gone from the store
    assert projectruns.runs_of("q") == [c]
    assert projectruns.runs_of("kept") == [b]
    assert index.exists() and (home / "ui" / "project-runs.imported").exists()
    projectruns._checked.clear()  # as a new process would
    projectruns.remember("r", a)
    assert projectruns.import_legacy_index(RunStore()) == 0  # marked done: not imported again
    assert projectruns.runs_of("r") == [a] and projectruns.runs_of("p") == []
