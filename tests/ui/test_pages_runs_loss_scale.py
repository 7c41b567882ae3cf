"""The Runs page (AppTest) compares a run that learned house prices standardised (its loss
about 0.04) with one that learned them as they are (about 1e11): their loss curves are not
overlaid as if they compared; the chart shows the validation MAE, in the target's units, and
says why. A standardised run's loss is labelled so in the legend and the table, and the Train
page's loss chart of such a run says what it is on."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore, TrainConfig

from .test_pages_runs import page

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "mlp-tabular", "nodes": [],
         "edges": []}
SCALE = {"target": "price", "mean": [300979.5], "std": [98212.2], "head": "head"}
# per epoch: (train loss, val loss, val mae) of the standardised run and of the one in units
CURVES = {"auto": [(0.62, 0.57, 63942.0), (0.20, 0.22, 39006.6), (0.11, 0.07, 21519.5)],
          "off": [(1.002e11, 1.141e11, 326574.7), (1.001e11, 1.140e11, 326574.4),
                  (1.000e11, 1.139e11, 326573.9)]}


@pytest.fixture()
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    ids = {}
    for scaling, curve in CURVES.items():
        run = store.create_run("mlp-tabular", GRAPH, {"source": "houses.csv"},
                               TrainConfig(epochs=3, target_scaling=scaling).to_dict())
        rows = []
        for epoch, (train, val, mae) in enumerate(curve, 1):
            rows += [(run, 10 * epoch, epoch, "train", "loss", train, 0.0),
                     (run, 10 * epoch, epoch, "val", "loss", val, 0.0),
                     (run, 10 * epoch, epoch, "val", "mae", mae, 0.0)]
        store.add_metrics(rows)
        store.set_status(run, "completed", "finished 3 epochs", best_metric=curve[-1][1],
                         best_metric_name="val_loss", best_epoch=3,
                         final_metrics={"test_loss": curve[-1][1], "test_mae": curve[-1][2]})
        ids[scaling] = run
    store.update(ids["auto"], target_scale=SCALE)
    store.close()
    return ids


def overlay(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_losses_on_different_scales_are_not_overlaid_the_mae_is(runs):
    at = page()
    assert not at.exception
    assert at.selectbox(key="runs.curve").value == "validation loss"
    assert sorted(at.multiselect(key="runs.compare").value) == sorted(runs.values())
    [said] = [w.value for w in at.warning if "different scales" in w.value]
    assert "mlp-tabular #1 · target scaling auto: on price standardised (mean 300,980, sd " \
           "98,212)" in said
    assert "mlp-tabular #2 · target scaling off: on the target in its own units" in said
    assert "the chart shows the validation MAE instead" in said
    figure = overlay(at)
    assert figure["layout"]["title"]["text"] == "Validation MAE"
    ys = {t["name"]: t["y"] for t in figure["data"]}
    assert ys == {"mlp-tabular #1 · target scaling auto": [c[2] for c in CURVES["auto"]],
                  "mlp-tabular #2 · target scaling off": [c[2] for c in CURVES["off"]]}


def test_a_standardised_run_alone_has_its_loss_labelled(runs):
    at = page()
    at.multiselect(key="runs.compare").set_value([runs["auto"]]).run()
    assert not at.exception
    assert not [w for w in at.warning if "different scales" in w.value]
    assert any(c.value.startswith("The loss is on price standardised (mean 300,980")
               for c in at.caption)
    figure = overlay(at)
    assert figure["layout"]["title"]["text"] == "Validation loss"
    assert [t["name"] for t in figure["data"]] == [
        "mlp-tabular #1 · target scaling auto (standardised loss)"]
    table = at.dataframe[0].value.set_index("run")
    assert table.loc[runs["auto"], "best"] == "validation loss 0.07 (standardised)"
    assert table.loc[runs["off"], "best"] == "validation loss 1.139e+11"
    assert table.loc[runs["auto"], "test"] == "MAE 2.152e+04, loss 0.07 (standardised)"


def test_the_train_pages_loss_chart_says_it_is_on_the_standardised_target(runs):
    def script(rid: int = 0):
        from layerloom.ui import live

        live.draw(live.store_of(), rid, per_epoch=True)

    titles = {}
    for scaling, run in runs.items():
        at = AppTest.from_function(script, kwargs={"rid": run}, default_timeout=60).run()
        assert not at.exception
        [charts] = [c for c in at.get("component_instance")
                    if f"live.{run}" in str(getattr(c, "proto", ""))]
        spec = json.loads(charts.proto.json_args)
        titles[scaling] = [f["layout"]["title"]["text"] for f in spec["figures"]]
    assert titles["auto"][0] == "Loss on price standardised"
    assert titles["off"][0] == "Loss"
