"""A runs database on a full disk: SQLite's "database or disk is full" is said as a full disk
(free space, or another home), never as a database to move aside, which would hide every run it
holds and free nothing. SQLite's ``max_page_count`` makes the file full as a full disk does."""

from __future__ import annotations

import pytest

from layerloom.runtime.config import TrainConfig
from layerloom.runtime.store import RunStore, StoreError

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "g", "nodes": [], "edges": []}


def test_a_full_disk_is_said_as_such_and_the_runs_kept_are_still_listed(tmp_path):
    db = tmp_path / "runs.db"
    store = RunStore(db)
    kept = store.create_run("kept", GRAPH, {"source": "iris"}, TrainConfig().to_dict())
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError) as caught:
        store.create_run("big", {**GRAPH, "description": "x" * 200_000}, {"source": "iris"},
                         TrainConfig().to_dict())
    message = str(caught.value)
    assert message.startswith(f"the disk that holds the runs database {db} is full "
                              f"(database or disk is full): nothing more can be recorded "
                              f"there; free some space on it, or set LAYERLOOM_HOME"), message
    assert "move it aside" not in message and ".broken" not in message
    assert caught.value.path == db
    assert [run.id for run in store.list_runs()] == [kept]
    store.close()


def test_an_io_error_on_a_disk_with_no_room_is_said_as_a_full_disk(tmp_path, monkeypatch):
    """Opening a WAL database on a full disk fails as 'disk I/O error' (its index file cannot
    grow); `layerloom runs` said to move the database aside."""
    from collections import namedtuple
    from sqlite3 import OperationalError

    from layerloom.runtime import store

    db = tmp_path / "runs.db"
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(store.shutil, "disk_usage", lambda path: usage(1 << 20, 1 << 20, 0))
    message = str(store._store_error(db, OperationalError("disk I/O error")))
    assert message == (f"the disk that holds the runs database {db} is full (disk I/O error): "
                       f"nothing more can be recorded there; free some space on it, or set "
                       f"LAYERLOOM_HOME (or --home) to a folder on another disk"), message
