"""The Results page's "Test sample" boxes (Try it, the explanation, the activations) take an
index typed out of range and say it below the box ("test sample must be between 0 and 359, got
360"), showing nothing for it. They had min_value/max_value: the browser refused such an index
on its own, keeping it in the box with "Press Enter to apply" while the sample before it was
shown as if it were the one asked for."""

from __future__ import annotations

import pytest
from test_pages_results import chain, page

from layerloom.runtime import RunStore, train


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("samples") as (home, store):
        cnn = chain("tiny-cnn", [1, 8, 8], [("Conv2d", {"out_channels": 4, "padding": 1}),
                                            ("ReLU", {}), ("Flatten", {}),
                                            ("Linear", {"out_features": 10})])
        yield home, train(cnn, "digits", {"epochs": 1}, store=store).run_id


def errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("key", ["results.sample", "inside.index", "inside.act_index"])
def test_a_test_sample_out_of_range_is_said_below_its_box(run, monkeypatch, key):
    home, run_id = run
    n = RunStore(home / "runs.db").evaluation(run_id)["n"]
    at = page(home, monkeypatch, run_id)
    assert not at.exception and not at.error
    if key == "results.sample":
        at.radio(key="results.how").set_value("Pick a test sample").run()
    if key == "inside.index":
        at.radio(key="inside.source").set_value("Test sample").run()
    at.number_input(key=key).set_value(n - 1).run()
    assert not at.exception and not at.error
    at.number_input(key=key).set_value(n).run()
    assert not at.exception
    assert errors(at) == [f"test sample must be between 0 and {n - 1}, got {n}"]
    assert at.number_input(key=key).value == n  # the box shows what was typed
    at.number_input(key=key).set_value(-1).run()
    assert errors(at) == [f"test sample must be between 0 and {n - 1}, got -1"]
