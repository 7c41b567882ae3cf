"""``layerloom runs`` marks a loss taken on a standardised regression target, so that 0.0357
beside another run's 114128637132.8 (the same prices learned as they are) is not read as the
better loss of the same kind; ``runs show`` says what the loss is on, and ``--json`` gives the
scale."""

from __future__ import annotations

import json
import re

from layerloom.cli import main
from layerloom.runtime import RunStore, TrainConfig

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "mlp-tabular", "nodes": [],
         "edges": []}
SCALE = {"target": "price", "mean": [300979.5], "std": [98212.2], "head": "head"}


def _two_runs(home):
    store = RunStore(home / "runs.db")
    for scaling, loss, best in (("auto", 0.0371, 0.0357), ("off", 1.026e11, 1.141e11)):
        run = store.create_run("mlp-tabular", GRAPH, {"source": "houses.csv"},
                               TrainConfig(epochs=5, target_scaling=scaling).to_dict())
        store.set_status(run, "completed", "finished 5 epochs", best_metric=best,
                         best_metric_name="val_loss", best_epoch=5,
                         final_metrics={"test_loss": loss, "test_mae": 14890.4,
                                        "test_r2": 0.95 if scaling == "auto" else -12.7})
    store.update(1, target_scale=SCALE)
    store.close()


def test_the_runs_list_marks_a_standardised_loss(tmp_path, capsys):
    _two_runs(tmp_path)
    assert main(["runs", "--home", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: re.split(r"\s{2,}", line) for line in lines[1:]}
    assert rows["1"][5] == "val_loss 0.0357 (standardised)"
    assert rows["2"][5] == "val_loss 114100000000.0000"


def test_runs_show_says_what_the_loss_is_on(tmp_path, capsys):
    _two_runs(tmp_path)
    assert main(["runs", "show", "1", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ("  loss on price standardised (mean 300,980, sd 98,212); mae, rmse and r2 in "
            "price's units\n") in out
    assert main(["runs", "show", "2", "--home", str(tmp_path)]) == 0
    assert "standardised" not in capsys.readouterr().out


def test_runs_json_gives_the_scale(tmp_path, capsys):
    _two_runs(tmp_path)
    assert main(["runs", "--json", "--home", str(tmp_path)]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[1]["target_scale"] == SCALE and rows[2]["target_scale"] is None
