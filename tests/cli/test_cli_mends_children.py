"""Runs started in their own processes are collected as soon as they end: the test process (or
the app's server) never holds ``<defunct>`` children, whether or not anything polls them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, start_run


def defunct_children(pid: int | None = None) -> list[int]:
    """Ids of the zombie children of ``pid`` (this process), from /proc."""
    pid = os.getpid() if pid is None else pid
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_an_ended_run_leaves_no_defunct_child(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    graph = load_template("mlp-tabular")
    run_id = start_run(graph, {"source": "iris"}, {"epochs": 1, "num_threads": 1},
                       store=store)
    pid = store.get(run_id).pid
    deadline = time.monotonic() + 120
    # Read the database only, as a page or a script would: nothing polls the process.
    while store.get(run_id).status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.get(run_id).status == "completed"
    while Path(f"/proc/{pid}").exists() and pid not in defunct_children() \
            and time.monotonic() < deadline:
        time.sleep(0.1)  # the process ends just after it records its end
    time.sleep(0.5)
    assert pid not in defunct_children()
    assert not Path(f"/proc/{pid}").exists()  # collected, not a zombie
