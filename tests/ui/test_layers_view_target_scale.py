"""The Train page's live diagnostics (AppTest of live.draw on recorded runs) for house prices
learned as they are: the huge gradients are said once, with the target's scale as their cause
and the fix for the design, never as an explosion to cure with a lower learning rate; a run
that learns them standardised has nothing of the kind to say."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train
from layerloom.runtime.data import load_dataset

from ..runtime.test_train_target_scale import _houses

CONFIG = {"epochs": 1, "num_threads": 1, "seed": 0, "task": "regression", "diagnose_every": 5}


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    return _houses(tmp_path_factory.mktemp("houses") / "houses.csv", n=200)


def _warnings(tmp_path, monkeypatch, graph, houses, **config) -> list[str]:
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    run_id = train(graph, str(houses), {**CONFIG, **config}, store=store).run_id

    def script(rid: int = 0):
        from layerloom.ui import live

        live.draw(live.store_of(), rid, per_epoch=False)

    at = AppTest.from_function(script, kwargs={"rid": run_id}, default_timeout=60).run()
    assert not at.exception
    return [w.value for w in at.warning]


def _design(houses, rescaled: bool = False):
    ds = load_dataset(houses, task="regression")
    graph = load_template("mlp-tabular")
    graph.variables.update(features=ds.input_shape[0], classes=1)
    if not rescaled:
        return graph
    d = graph.to_dict()
    d["nodes"].append({"id": "scale", "type": "Rescaling",
                       "params": {"scale": float(ds.y_train.std()),
                                  "offset": float(ds.y_train.mean())}})
    d["edges"] = [e for e in d["edges"] if e["target"] != "logits"]
    d["edges"] += [{"source": "head", "target": "scale"}, {"source": "scale", "target": "logits"}]
    return load_graph(d)


def test_a_target_learned_as_it_is_is_named_as_the_cause_with_its_fix(tmp_path, monkeypatch,
                                                                      houses):
    said = _warnings(tmp_path, monkeypatch, _design(houses), houses, target_scaling="off")
    [box] = [w for w in said if "price is learned in its own units" in w]
    assert box.startswith("head: its gradient norm is ")
    assert "(target_scaling is off), so its errors and every gradient are of that size: the " \
           "target's scale is the cause, and a lower learning rate would only slow training." \
           in box
    assert "Set target_scaling to auto" in box and "set its scale to " in box
    assert not [w for w in said if "gradients are exploding" in w], said


def test_a_rescaling_by_hand_is_named_not_advised_again(tmp_path, monkeypatch, houses):
    said = _warnings(tmp_path, monkeypatch, _design(houses, rescaled=True), houses)
    boxes = [w for w in said if "price is learned in its own units" in w]
    assert boxes and all("through scale, so its errors and every gradient are of that size: "
                         "the target's scale is the cause, not a learning rate too high" in w
                         for w in boxes), said
    assert not [w for w in said if "Rescaling" in w or "gradients are exploding" in w], said


def test_a_standardised_run_has_no_such_box(tmp_path, monkeypatch, houses):
    said = _warnings(tmp_path, monkeypatch, _design(houses), houses)
    assert not [w for w in said if "its own units" in w or "exploding" in w], said
