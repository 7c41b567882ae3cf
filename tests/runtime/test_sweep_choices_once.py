"""A sweep over lists of values only (``lr=0.001,0.05``) has a few combinations: asked for more
trials than that, it tries each combination once, whatever the sampler, instead of training the
same settings again and again (TPE and random draws repeat a choice: ten trials of two values
were ten runs)."""

from __future__ import annotations

import pytest

from layerloom.runtime import sweep

FAST = {"num_threads": 1, "log_every": 5}


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_more_trials_than_combinations_tries_each_once(moons, mlp, store, sampler):
    result = sweep(mlp(), moons, {"epochs": 1, **FAST}, ["lr=0.001,0.05"], trials=10,
                   sampler=sampler, store=store)
    assert sorted(row["lr"] for row in result.rows) == [0.001, 0.05]
    assert len(store.list_runs(sweep_id=result.sweep_id)) == 2
    spec = store.sweep(result.sweep_id)["spec"]
    assert (spec["trials"], spec["sampler"]) == (2, "grid")


def test_a_range_keeps_its_sampler_and_trials(mlp, moons):
    from layerloom.runtime.search import sweep_spec

    spec = sweep_spec(mlp(), moons, {"epochs": 1}, ["lr=1e-4:1e-1:log", "batch_size=16,32"],
                      trials=6, sampler="tpe")
    assert (spec["trials"], spec["sampler"]) == (6, "tpe")
