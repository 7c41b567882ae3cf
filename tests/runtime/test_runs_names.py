"""Display names that tell runs of one design apart (runtime/runnames.py), from the runs as the
store keeps them: ids unchanged, nothing written, older records named too."""

from __future__ import annotations

import time

import pytest

from layerloom.runtime import RunStore, display_names
from layerloom.runtime.runnames import MAX_SHOWN

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "seed-cnn", "nodes": [],
         "edges": []}
DATA = {"source": "mnist-5k", "seed": 0}


@pytest.fixture
def store(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    yield store
    store.close()


def _names(store) -> list[str]:
    names = display_names(store.list_runs())
    return [names[r.id] for r in sorted(store.list_runs(), key=lambda r: r.id)]


def test_three_runs_of_one_design_are_named_by_what_differs(store):
    for lr, batch in [(0.001, 64), (0.01, 64), (0.001, 32)]:
        store.create_run("seed-cnn", GRAPH, DATA, {"optimizer": "adam", "lr": lr,
                                                   "batch_size": batch, "epochs": 2})
    assert _names(store) == ["seed-cnn #1 · learning rate 0.001 · batch size 64",
                             "seed-cnn #2 · learning rate 0.01 · batch size 64",
                             "seed-cnn #3 · learning rate 0.001 · batch size 32"]
    # ids stay as stored
    assert sorted(display_names(store.list_runs())) == [1, 2, 3]


def test_only_the_settings_that_tell_runs_apart_are_named(store):
    """The rate alone splits them: the batch, the same in all, is not named; a run alone under
    its name is its name and number."""
    for lr in (0.1, 0.01):
        store.create_run("mlp", GRAPH, DATA, {"lr": lr, "batch_size": 16})
    store.create_run("lenet5", GRAPH, DATA, {"lr": 0.5})
    assert _names(store) == ["mlp #1 · learning rate 0.1", "mlp #2 · learning rate 0.01",
                             "lenet5 #3"]


def test_variables_data_and_other_settings_are_named_when_they_are_what_differs(store):
    store.create_run("mlp", GRAPH, DATA, {}, variables={"width": 0.5})
    store.create_run("mlp", GRAPH, DATA, {}, variables={"width": 2.0})
    store.create_run("mlp", GRAPH, DATA, {})  # the design's own width
    assert _names(store) == ["mlp #1 · width 0.5", "mlp #2 · width 2",
                             "mlp #3 · width as designed"]


def test_data_and_a_less_common_setting(store):
    store.create_run("net", GRAPH, {"source": "data/iris.csv"}, {})
    store.create_run("net", GRAPH, {"source": "moons", "options": {"n_samples": 500}}, {})
    store.create_run("net", GRAPH, {"source": "moons", "options": {"n_samples": 500}},
                     {"hflip": True})
    assert _names(store) == ["net #1 · on iris.csv · hflip off",
                             "net #2 · on moons (n_samples=500) · hflip off",
                             "net #3 · on moons (n_samples=500) · hflip on"]


def test_runs_of_edited_designs_with_the_same_settings_are_design_versions(store):
    """Train, edit, train again: same settings, another design. Moving a block is no edit."""
    moved = {**GRAPH, "nodes": [{"id": "a", "type": "Input", "position": [0, 0]}]}
    store.create_run("seed-cnn", moved, DATA, {})
    store.create_run("seed-cnn", {**moved, "nodes": [{**moved["nodes"][0], "position": [9, 9]}]},
                     DATA, {})
    store.create_run("seed-cnn", {**moved, "nodes": [{"id": "a", "type": "Input",
                                                      "params": {"shape": [3]}}]}, DATA, {})
    names = _names(store)
    assert names[0].startswith("seed-cnn #1 · design v1 · started ")
    assert names[1].startswith("seed-cnn #2 · design v1 · started ")
    assert names[2].startswith("seed-cnn #3 · design v2 · started ")


def test_runs_alike_in_everything_are_told_apart_by_when_they_started(store):
    first = store.create_run("seed-cnn", GRAPH, DATA, {})
    second = store.create_run("seed-cnn", GRAPH, DATA, {})
    store.update(first, created=time.mktime((2025, 3, 4, 9, 5, 0, 0, 0, -1)))
    names = display_names(store.list_runs())
    assert names[first] == "seed-cnn #1 · started Mar 04 09:05"
    assert names[second] == f"seed-cnn #2 · started {time.strftime('%H:%M')}"


def test_older_records_missing_settings_are_named_with_the_defaults(store):
    """A record of an older version keeps fewer settings: what it leaves out was the default
    then, and is named as such (its name is worked out, never stored)."""
    old = store.create_run("seed-cnn", GRAPH, DATA, {})
    new = store.create_run("seed-cnn", GRAPH, DATA, {"lr": 0.01, "epochs": 10})
    names = display_names(store.list_runs())
    assert names == {old: "seed-cnn #1 · learning rate 0.001",
                     new: "seed-cnn #2 · learning rate 0.01"}


def test_a_name_shows_at_most_three_differences(store):
    settings = [{"lr": 0.1, "batch_size": 8, "optimizer": "sgd", "epochs": 1},
                {"lr": 0.1, "batch_size": 8, "optimizer": "sgd", "epochs": 2},
                {"lr": 0.1, "batch_size": 8, "optimizer": "adam", "epochs": 1},
                {"lr": 0.1, "batch_size": 16, "optimizer": "sgd", "epochs": 1},
                {"lr": 0.2, "batch_size": 8, "optimizer": "sgd", "epochs": 1}]
    for config in settings:
        store.create_run("seed-cnn", GRAPH, DATA, config)
    names = _names(store)
    assert all(name.count(" · ") <= MAX_SHOWN for name in names)
    assert names[0] == "seed-cnn #1 · learning rate 0.1 · batch size 8 · sgd optimiser"
    assert names[4] == "seed-cnn #5 · learning rate 0.2 · batch size 8 · sgd optimiser"


def test_a_run_ended_before_its_planned_epochs_is_named_by_how_far_it_went(moons, mlp, store):
    """A newcomer's run planned at 6 epochs and stopped in its third reads "2 of 6 epochs",
    not "6 epochs"; one that ran all its epochs, and one still running, read the plan."""
    from layerloom.runtime import train

    fast = {"num_threads": 1, "batch_size": 32, "log_every": 1}
    train(mlp(), moons, {"epochs": 6, **fast}, store=store,
          callback=lambda e: "stop" if e.kind == "step" and e.step == 22 else None)  # 9 a epoch
    train(mlp(), moons, {"epochs": 1, **fast}, store=store)
    stopped, whole = sorted(store.list_runs(), key=lambda r: r.id)
    assert stopped.status == "stopped" and whole.status == "completed"
    names = display_names(store.list_runs())
    assert names[stopped.id].endswith(" · 2 of 6 epochs")
    assert names[whole.id].endswith(" · 1 epoch")
