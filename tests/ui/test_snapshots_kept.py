"""Snapshots taken in the same second are all kept: their ids are a time to the second and four
random hex digits, and two snapshots that drew the same digits (two tabs' edits that did not
join, kept at one moment, or two servers) were one file, the second replacing the first."""

from __future__ import annotations

import threading

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore


def test_two_snapshots_drawing_one_id_in_one_second_are_both_kept(tmp_path, monkeypatch):
    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    first = store.load(pid).graph
    second = edit.set_param(first, (), "conv1", "kernel_size", 5)
    draws = iter(["beef", "beef", "cafe"])
    monkeypatch.setattr(projects.secrets, "token_hex", lambda n: next(draws))
    monkeypatch.setattr(projects.time, "time", lambda: 1_800_000_000.0)  # one second
    one = store.snapshot(pid, "this tab's edit, not applied", first)
    two = store.snapshot(pid, "changed in another tab", second)
    assert one.id != two.id and two.id.endswith("-cafe")
    kept = {s.name: store.load_snapshot(pid, s.id) for s in store.snapshots(pid)}
    assert set(kept) == {"this tab's edit, not applied", "changed in another tab"}
    assert kept["this tab's edit, not applied"].node("conv1").params["kernel_size"] == 3
    assert kept["changed in another tab"].node("conv1").params["kernel_size"] == 5
    assert not list((tmp_path / "projects" / pid / "snapshots").glob(".*.tmp"))


def test_snapshots_taken_at_once_by_many_threads_are_all_kept(tmp_path, monkeypatch):
    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    graph = store.load(pid).graph
    monkeypatch.setattr(projects.time, "time", lambda: 1_800_000_000.0)
    draws = iter(["0001"] * 8 + [f"{i:04x}" for i in range(2, 200)])
    lock = threading.Lock()

    def draw(n):
        with lock:
            return next(draws)

    monkeypatch.setattr(projects.secrets, "token_hex", draw)
    threads = [threading.Thread(target=store.snapshot, args=(pid, f"kept {i}", graph))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(s.name for s in store.snapshots(pid)) == [f"kept {i}" for i in range(8)]
