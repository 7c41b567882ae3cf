"""``layerloom sweep`` prints its best trial's settings as its table shows them (4 significant
digits): the table said ``lr 0.002055`` and the line under it ``best: lr=0.002054762512591136``.
``--json`` keeps the full values (it is read by programs)."""

from __future__ import annotations

import json

from layerloom.cli import main
from layerloom.runtime import search

LR = 0.002054762512591136
LOSS = 12.3456789


def _one_trial(monkeypatch, status="completed"):
    row = {"trial": 0, "run_id": 1, "status": status, "lr": LR, "width": 0.5, "value": LOSS}

    def sweep(graph, ds, config, params, **kwargs):
        return search.SweepResult(sweep_id=kwargs["sweep_id"], rows=[row],
                                  best=row if status == "completed" else None,
                                  objective="val_loss", direction="minimize",
                                  params=["lr", "width"])

    monkeypatch.setattr(search, "sweep", sweep)


def test_the_best_line_shows_the_values_as_the_table_does(tmp_path, monkeypatch, capsys):
    _one_trial(monkeypatch)
    assert main(["sweep", "seed-cnn", "-d", "mnist-5k", "--trials", "1", "--param",
                 "lr=1e-4:1e-1:log", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table, best = out.split("\nbest: ")
    assert "0.002055" in table and "12.35" in table
    assert best == "lr=0.002055, width=0.5 (val_loss 12.35, run 1)\n"


def test_a_failed_trial_names_its_settings_as_the_table_does(tmp_path, monkeypatch, capsys):
    _one_trial(monkeypatch, status="failed")
    main(["sweep", "seed-cnn", "-d", "mnist-5k", "--trials", "1", "--param",
          "lr=1e-4:1e-1:log", "--home", str(tmp_path)])
    assert "trial 0 (lr=0.002055, width=0.5) failed: no reason given" in capsys.readouterr().out


def test_json_keeps_the_full_values(tmp_path, monkeypatch, capsys):
    _one_trial(monkeypatch)
    assert main(["sweep", "seed-cnn", "-d", "mnist-5k", "--trials", "1", "--param",
                 "lr=1e-4:1e-1:log", "--json", "--home", str(tmp_path)]) == 0
    best = json.loads(capsys.readouterr().out)["best"]
    assert best["lr"] == LR and best["value"] == LOSS
