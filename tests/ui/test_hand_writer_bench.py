"""A short run of benchmarks/hand_writer_bench.py (which see): two tabs saving while a
program rewrites graph.json every few ms; every hand write is in the design file or kept (a
snapshot, or set aside). Several processes racing: marked heavy (``make test-all``). No
timing is asserted, and the count of races caught varies from run to run: a run that loses
nothing passes on the old code too; the deterministic tests are in
tests/ui/test_hand_edit_landed_on_save.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "hand_writer_bench.py"


@pytest.mark.heavy
@pytest.mark.slow
def test_no_hand_write_is_lost_while_tabs_save(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--writes", "120"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["hand writes"] == 120
    assert result["nowhere"] == 0, result
