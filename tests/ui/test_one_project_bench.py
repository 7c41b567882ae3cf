"""A short run of benchmarks/edit_stress_bench.py --one-project (which see): users, each a
process of its own, editing one project at once lose and alter no edit unsaid. No timing is
asserted (the bench reports it)."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_users_editing_one_project_at_once_lose_and_alter_nothing(monkeypatch, tmp_path):
    # the users are spawned as the bench's command line spawns them: each new process runs the
    # parent's __main__ again and imports from its folder, and in a test worker those can be a
    # page script an earlier test ran and its folder
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    monkeypatch.chdir(tmp_path)
    # and Python's path as a fresh interpreter has it: earlier tests import users' files from
    # their folders, which stay on the worker's path (one holds a copy.py)
    fresh = subprocess.run([sys.executable, "-c", "import json, sys; print(json.dumps(sys.path))"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    monkeypatch.setattr(sys, "path", [p for p in json.loads(fresh) if p not in ("", ".")])
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from shared_project_edits import one_project

    result = one_project(3, 12, interval=0.05, seed=1)
    assert (result["lost"], result["altered"]) == (0, 0), result["problems"]
    assert result["edits"] == 36 and result["saves"] > 12  # they saved, over each other
    assert result["save_median_s"] is not None
    sys.modules.pop("shared_project_edits", None)


class _Tab:
    def __init__(self, user):
        self.user = user

    def catch_up(self):
        self.user.said.append(("catch up", self.user.index))


def test_each_user_hears_what_it_is_told_after_every_users_last_edit(monkeypatch):
    """A user whose edits ended first heard (caught up) at once, before another user's later
    save replaced one of its values: told on its page's next run, it was counted lost ('user
    1's undo set 1342: not in the design; told: False; in a snapshot: True'). Users as threads
    of one process, each a stand-in making one edit: the second makes its edit only once the
    first has caught up, or after a second."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import queue
    import random
    import threading

    import shared_project_edits

    said: list[tuple[str, int]] = []
    first_heard = threading.Event()

    class User:
        def __init__(self, home, pid, index, users, seed):
            self.index, self.said = index, said
            self.rng = random.Random(index)
            self.tab = _Tab(self)
            self.made, self.heard, self.save_s = [], [], []

        def step(self):
            if self.index == 1:
                first_heard.wait(timeout=1.0)
            said.append(("edit", self.index))

        def hear(self):
            if self.index == 0:
                first_heard.set()

    monkeypatch.setattr(shared_project_edits, "_User", User)
    out, done = queue.Queue(), threading.Barrier(2)
    users = [threading.Thread(target=shared_project_edits._run_user,
                              args=("home", "pid", i, 2, 1, 0.0, 0, 0.0, out, done),
                              daemon=True)
             for i in range(2)]
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=30)
    assert sorted(out.get_nowait()["user"] for _ in users) == [0, 1]
    assert [what for what, _ in said] == ["edit", "edit", "catch up", "catch up"], said
    sys.modules.pop("shared_project_edits", None)
