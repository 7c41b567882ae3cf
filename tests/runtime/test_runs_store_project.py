"""The runs table's project column: stored, filtered on, added to an older database on open."""

from __future__ import annotations

import sqlite3

from layerloom.runtime import RunStore
from layerloom.runtime.store import SCHEMA_VERSION


def new_run(store, **kw):
    return store.create_run("r", {"name": "g"}, {"source": "moons"}, {"epochs": 2}, **kw)


def test_a_run_keeps_its_project_and_runs_filter_by_it(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    a = new_run(store, project="p1")
    b = new_run(store)
    c = new_run(store, project="p1")
    d = new_run(store, project="p2")
    assert [store.get(i).project for i in (a, b, c, d)] == ["p1", None, "p1", "p2"]
    assert [r.id for r in store.list_runs(project="p1")] == [c, a]
    assert [r.id for r in store.list_runs(project="p2", status="queued")] == [d]
    assert [r.id for r in store.list_runs()] == [d, c, b, a]
    assert store.list_runs(project="nobody") == []
    store.update(b, project="p2")
    assert [r.id for r in store.list_runs(project="p2")] == [d, b]
    assert store.get(b).to_dict()["project"] == "p2"


def test_an_older_database_gets_the_project_column(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a runs table as schema version 3 made it (trimmed)
        conn.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
            "graph TEXT NOT NULL, dataset TEXT NOT NULL, config TEXT NOT NULL, "
            "variables TEXT NOT NULL DEFAULT '{}', sweep_id INTEGER, "
            "status TEXT NOT NULL DEFAULT 'queued', reason TEXT, created REAL NOT NULL, "
            "started REAL, ended REAL, best_metric REAL, best_metric_name TEXT, "
            "best_epoch INTEGER, final_metrics TEXT, progress TEXT, checkpoint TEXT, "
            "pid INTEGER, heartbeat REAL, control TEXT);"
            "INSERT INTO runs (name, graph, dataset, config, created) "
            "VALUES ('old', '{}', '{}', '{}', 0);"
            "PRAGMA user_version=3;")
    store = RunStore(path)
    assert store.get(1).project is None and store.get(1).name == "old"
    assert store.list_runs(project="p") == []
    store.update(1, project="p")
    store.close()
    again = RunStore(path)  # opening again changes nothing
    assert [r.id for r in again.list_runs(project="p")] == [1]
    assert again._version() == SCHEMA_VERSION == 5
    indexes = {row[1] for row in sqlite3.connect(path).execute("PRAGMA index_list(runs)")}
    assert "runs_by_project" in indexes


def test_start_run_records_the_project(tmp_path, monkeypatch):
    from layerloom.runtime import process

    from .conftest import mlp_graph

    spawned = []
    monkeypatch.setattr(process, "_spawn", lambda store, run_id, **kw: spawned.append(run_id))
    store = RunStore(tmp_path / "runs.db")
    run_id = process.start_run(mlp_graph(), "moons", {"epochs": 1}, store=store, project="p9")
    plain = process.start_run(mlp_graph(), "moons", {"epochs": 1}, store=store)
    assert spawned == [run_id, plain]
    assert store.get(run_id).project == "p9" and store.get(plain).project is None
    assert [r.id for r in store.list_runs(project="p9")] == [run_id]
