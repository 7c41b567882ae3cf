"""``layerloom runs --limit`` takes a count of at least one: 0 or a negative number listed every
run, the opposite of what was asked; now it is refused as argparse refuses any bad value."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore, TrainConfig

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "tiny", "nodes": [], "edges": []}


def _runs(home, n):
    store = RunStore(home / "runs.db")
    for _ in range(n):
        store.create_run("tiny", GRAPH, {"source": "x.csv"}, TrainConfig().to_dict())
    store.close()


@pytest.mark.parametrize("limit", ["0", "-3", "two"])
def test_a_limit_below_one_is_refused(tmp_path, capsys, limit):
    _runs(tmp_path, 3)
    with pytest.raises(SystemExit) as stop:
        main(["runs", "--home", str(tmp_path), "--limit", limit])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --limit: {limit} is not a count: give a whole number from 1" in err


def test_a_limit_lists_that_many(tmp_path, capsys):
    _runs(tmp_path, 3)
    assert main(["runs", "--home", str(tmp_path), "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 2  # the header, two runs
