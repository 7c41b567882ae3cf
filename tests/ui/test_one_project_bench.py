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
