"""Resume → first point in the live chart: a resume trims what the run logged after its
checkpoint, and SQLite may give the new rows the trimmed rows' ids; the live panel's feed, which
reads only rows newer than the last it saw, notices and reads the run again, so that it shows
the resumed run's first points and none of the trimmed ones."""

from __future__ import annotations

import time

from layerloom.runtime import RunStore


def rows(run_id, steps, split="step"):
    now = time.time()
    return [(run_id, s, 0, split, "loss", float(s), now) for s in steps]


def test_feed_after_a_resume_trims_and_reuses_ids(tmp_path):
    from layerloom.ui.live import Feed

    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    store.add_metrics(rows(run_id, [1, 10, 20, 30]))
    store.add_metrics(rows(run_id, [30], split="test"))
    feed = Feed(run_id)
    assert [r["step"] for r in feed.poll(store)] == [1, 10, 20, 30, 30]
    last = max(m.rowid for m in store.metrics(run_id))

    store.trim_metrics(run_id, step=10, epoch=1)  # the checkpoint was at step 10
    store.add_metrics(rows(run_id, [11, 20]))  # the resumed run's first points
    reused = [m.rowid for m in store.metrics(run_id) if m.step in (11, 20)]
    assert min(reused) <= last  # SQLite gave them ids the feed has seen already
    assert store.count_metrics(run_id) == 4 and store.count_metrics(run_id, last) < 5

    got = [(r["split"], r["step"]) for r in feed.poll(store)]
    assert got == [("step", 1), ("step", 10), ("step", 11), ("step", 20)]
    store.add_metrics(rows(run_id, [30]))
    assert [r["step"] for r in feed.poll(store)] == [1, 10, 11, 20, 30]  # appends again
