"""A short run of benchmarks/edit_stress_bench.py --one-project (which see): users, each a
process of its own, editing one project at once lose and alter no edit unsaid. No timing is
asserted (the bench reports it)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_users_editing_one_project_at_once_lose_and_alter_nothing(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from shared_project_edits import one_project

    result = one_project(3, 12, interval=0.05, seed=1)
    assert (result["lost"], result["altered"]) == (0, 0), result["problems"]
    assert result["edits"] == 36 and result["saves"] > 12  # they saved, over each other
    assert result["save_median_s"] is not None
    sys.modules.pop("shared_project_edits", None)
