"""The runs database records the scale of a run's loss: a regression run that learns its
target standardised (runtime/target_scale.py) keeps the target's name, mean and sd beside it,
so that the Runs page and ``layerloom runs`` can say its loss of 0.04 does not compare with
another run's 1e10 in the target's units squared."""

from __future__ import annotations

import sqlite3

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train
from layerloom.runtime.data import load_dataset
from layerloom.runtime.runner import execute_run
from layerloom.runtime.store import SCHEMA_VERSION
from layerloom.runtime.target_scale import loss_scale, loss_words

from .test_train_target_scale import FAST, _houses


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    return _houses(tmp_path_factory.mktemp("houses") / "houses.csv", n=200)


def test_a_standardised_run_records_its_target_scale_and_one_in_units_none(houses, tmp_path):
    ds = load_dataset(houses, task="regression")
    graph = load_template("mlp-tabular")
    graph.variables.update(features=ds.input_shape[0], classes=1)
    store = RunStore(tmp_path / "runs.db")
    auto = train(graph, str(houses), {**FAST, "epochs": 1}, store=store).run_id
    off = train(graph, str(houses), {**FAST, "epochs": 1, "target_scaling": "off"},
                store=store).run_id
    y = ds.y_train.double()
    entry = store.get(auto).target_scale
    assert entry["target"] == "price" and entry["head"] == "head"
    assert entry["mean"] == [pytest.approx(float(y.mean()))]
    assert entry["std"] == [pytest.approx(float(y.std()))]
    assert store.get(off).target_scale is None
    assert loss_scale(store.get(off).target_scale) is None
    assert loss_scale(entry) == ((pytest.approx(float(y.mean())),),
                                 (pytest.approx(float(y.std())),))
    assert loss_words(entry).startswith("price standardised (mean ")
    assert loss_words(None) == "the target in its own units"

    # a resumed run says it again, from its checkpoint
    store.update(auto, target_scale=None)
    execute_run(store, auto, resume=True, epochs=2)
    assert store.get(auto).target_scale == entry


def test_an_older_database_gets_the_column_its_runs_without_a_scale(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a runs table as schema version 4 made it (trimmed)
        conn.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
            "graph TEXT NOT NULL, dataset TEXT NOT NULL, config TEXT NOT NULL, "
            "variables TEXT NOT NULL DEFAULT '{}', sweep_id INTEGER, "
            "status TEXT NOT NULL DEFAULT 'queued', reason TEXT, created REAL NOT NULL, "
            "started REAL, ended REAL, best_metric REAL, best_metric_name TEXT, "
            "best_epoch INTEGER, final_metrics TEXT, progress TEXT, checkpoint TEXT, "
            "pid INTEGER, heartbeat REAL, control TEXT, project TEXT);"
            "INSERT INTO runs (name, graph, dataset, config, created) "
            "VALUES ('old', '{}', '{}', '{}', 0);"
            "PRAGMA user_version=4;")
    assert RunStore(path, read_only=True).get(1).target_scale is None  # read as it is
    store = RunStore(path)
    assert store._version() == SCHEMA_VERSION == 5
    assert store.get(1).target_scale is None
    store.update(1, target_scale={"target": "price", "mean": [2.0], "std": [3.0],
                                  "head": "head"})
    assert store.get(1).target_scale["mean"] == [2.0]
