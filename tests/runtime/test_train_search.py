"""The learning-rate finder and sweeps (each trial a run in the database)."""

from __future__ import annotations

import math

import pytest

from layerloom.runtime import TrainError, lr_find, parse_param, sweep
from layerloom.runtime.config import ConfigError
from layerloom.runtime.search import Param, suggest

FAST = {"num_threads": 1, "log_every": 5}


def test_lr_finder_suggests_a_rate_in_range(moons, mlp):
    result = lr_find(mlp(), moons, {"optimizer": "sgd", "momentum": 0.9, **FAST},
                     start_lr=1e-5, end_lr=10, steps=60)
    assert len(result.lrs) == len(result.losses) <= 60
    assert result.lrs == sorted(result.lrs) and result.lrs[0] == pytest.approx(1e-5)
    assert 1e-3 <= result.suggestion <= 3.0
    low = result.losses.index(min(result.losses))
    assert result.min_div10 == pytest.approx(result.lrs[low] / 10)


def test_suggestion_is_the_steepest_fall_before_the_minimum():
    lrs = [10 ** (-6 + i * 0.1) for i in range(60)]
    # flat, then a fall that is steepest at index 30, a minimum at 45, then divergence
    losses = [2.0 - math.tanh((i - 30) / 4) if i <= 45 else 1.0 + (i - 45) for i in range(60)]
    steepest, min_div10 = suggest(lrs, losses)
    assert steepest == pytest.approx(lrs[30])
    assert min_div10 == pytest.approx(lrs[45] / 10)


@pytest.mark.parametrize("text, param", [
    ("lr=1e-4:1e-1:log", Param("lr", 1e-4, 1e-1, log=True)),
    ("epochs=2:6", Param("epochs", 2, 6, integer=True)),
    ("width=0.5,1,2", Param("width", choices=[0.5, 1, 2])),
    ("optimizer=adam,sgd", Param("optimizer", choices=["adam", "sgd"])),
    ("lr=0.001:0.1:log:4", Param("lr", 0.001, 0.1, log=True, grid=4)),
])
def test_param_specs(text, param):
    assert parse_param(text) == param


@pytest.mark.parametrize("text, message", [
    ("lr", r"a swept setting is NAME=LOW:HIGH\[:log\] or NAME=A,B,C \(for example "
           r"lr=1e-4:1e-1:log or batch_size=16,32,64\), got 'lr'"),
    ("lr=1:0.1", r"--param lr: the range needs low < high, got 1:0.1"),
    ("lr=0:1:log", r"--param lr: a log range needs low > 0"),
    ("lr=a:b", r"--param lr: 'a':'b' is not a range of numbers"),
])
def test_bad_param_specs(text, message):
    with pytest.raises(TrainError, match=message):
        parse_param(text)


def test_grid_values():
    assert Param("lr", 1e-3, 1e-1, log=True, grid=3).values() == pytest.approx([1e-3, 1e-2, 1e-1])
    assert Param("epochs", 1, 5, integer=True, grid=3).values() == [1, 3, 5]


def test_two_trial_sweep_writes_two_runs(moons, mlp, store):
    graph = mlp()
    graph["variables"] = {"hidden": 8}
    graph["nodes"][1]["params"]["out_features"] = "=hidden"
    result = sweep(graph, moons, {"epochs": 1, **FAST}, ["lr=0.001,0.05", "hidden=4,16"],
                   trials=2, sampler="random", store=store)
    runs = store.list_runs(sweep_id=result.sweep_id)
    assert len(runs) == 2 and len(result.rows) == 2
    for row in result.rows:
        run = store.get(row["run_id"])
        assert run.status == "completed" and run.config["lr"] == row["lr"]
        assert run.variables == {"hidden": row["hidden"]}
        assert row["value"] == run.best_metric
    assert result.best["value"] == min(r["value"] for r in result.rows)
    lines = result.table().splitlines()
    assert lines[0].split() == ["trial", "run_id", "status", "lr", "hidden", "val_loss"]
    assert store.sweep(result.sweep_id)["spec"]["sampler"] == "random"


def test_grid_sweep_covers_the_grid_and_survives_a_failing_trial(moons, mlp, store):
    """A variable's value that breaks the design fails its trial (the design may work for the
    others); the sweep goes on."""
    graph = mlp()
    graph["variables"] = {"hidden": 8}
    graph["nodes"][1]["params"]["out_features"] = "=hidden"
    result = sweep(graph, moons, {"epochs": 1, **FAST}, ["hidden=16,0"], trials=10,
                   sampler="grid", store=store)
    assert sorted(r["hidden"] for r in result.rows) == [0, 16]
    failed = next(r for r in result.rows if r["hidden"] == 0)
    assert failed["status"] == "failed" and "out_features must be at least 1" in failed["reason"]
    assert result.best["hidden"] == 16


def test_a_setting_value_the_config_refuses_is_refused_before_any_trial(moons, mlp, store):
    with pytest.raises(ConfigError, match=r"^--param batch_size: the value 0 cannot be used: "
                                          r"batch_size must be ≥ 1, got 0$"):
        sweep(mlp(), moons, {"epochs": 1, **FAST}, ["batch_size=16,0"], trials=10,
              sampler="grid", store=store)
    assert store.list_runs() == []


def test_unknown_sweep_names_are_refused(moons, mlp, store):
    with pytest.raises(TrainError, match=r"cannot sweep 'depth': not a training setting .* "
                                         r"nor a variable of mlp \(none\)"):
        sweep(mlp(), moons, {"epochs": 1}, ["depth=1,2"], trials=1, store=store)


def test_a_sweeps_trials_are_named_by_their_run_and_the_setting_swept(moons, mlp, store):
    """Trials were recorded as "mlp #0", "mlp #1" (their trial numbers), which displayed as
    "mlp #0 #1": now one number, the run's id, then what the trial changed."""
    from layerloom.runtime import display_names

    graph = mlp()
    result = sweep(graph, moons, {"epochs": 1, **FAST}, ["lr=0.001,0.05"], trials=2,
                   sampler="grid", store=store)
    names = display_names(store.list_runs())
    assert sorted(names[row["run_id"]] for row in result.rows) == sorted(
        f"{graph['name']} #{row['run_id']} · learning rate {row['lr']}" for row in result.rows)


def test_trials_recorded_under_their_trial_number_are_grouped_with_their_design(store):
    from types import SimpleNamespace as Run

    from layerloom.runtime import display_names

    runs = [Run(id=i, name=name, sweep_id=sweep, config={"lr": lr}, variables={},
                dataset={"source": "iris"}, graph={}, created=0.0)
            for i, name, sweep, lr in [(1, "mlp", None, 0.1), (2, "mlp #0", 1, 0.01),
                                       (3, "mlp #1", 1, 0.001)]]
    assert display_names(runs) == {1: "mlp #1 · learning rate 0.1",
                                   2: "mlp #2 · learning rate 0.01",
                                   3: "mlp #3 · learning rate 0.001"}
