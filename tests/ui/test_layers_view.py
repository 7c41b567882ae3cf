"""The Train page's layer diagnostics: the heatmap of a run's recorded layer statistics and the
findings in words, naming the block."""

from __future__ import annotations

import math

from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore
from layerloom.runtime.diagnostics import from_rows
from layerloom.ui.layers_view import heatmap_spec

GRAPH = {"nodes": [{"id": "fc1", "type": "Linear"}, {"id": "act", "type": "ReLU"},
                   {"id": "fc2", "type": "Linear"}], "edges": []}


def layer_rows(run_id):
    rows = []
    for step in (1, 50, 100):
        stats = {"fc1/grad_norm": 0.5 / step, "fc1/update_ratio": 0.002,
                 "act/zeros": 0.95, "fc2/grad_norm": 1.0, "fc2/update_ratio": 0.001}
        rows += [(run_id, step, 0, "layer", k, v, 0.0) for k, v in stats.items()]
    return rows


def test_heatmap_spec_is_blocks_by_steps_on_a_log_scale():
    hist = from_rows([{"step": s, "split": "layer", "name": n, "value": v}
                      for _, s, _, _, n, v, _ in layer_rows(1)]
                     + [{"step": 5, "split": "step", "name": "loss", "value": 1.0}])
    assert hist.steps == [1, 50, 100] and hist.blocks == ["fc1", "act", "fc2"]
    trace = heatmap_spec(hist, "grad_norm")["data"][0]
    assert trace["type"] == "heatmap" and trace["x"] == [1, 50, 100]
    assert trace["y"] == ["fc1", "fc2"]  # the ReLU has no gradient row
    assert trace["z"][0] == [round(math.log10(0.5 / s), 4) for s in (1, 50, 100)]
    zeros = heatmap_spec(hist, "zeros")["data"][0]
    assert zeros["y"] == ["act"] and zeros["z"] == [[0.95, 0.95, 0.95]]


def test_heatmap_x_axis_starts_at_the_first_step_never_before_step_0():
    # cells are centred on their steps: left to autorange, steps 1 and 50 drew an axis from -23
    for steps, first in (([1, 50], 1), ([0, 10, 20], 0), ([5], 4.5), ([0], 0)):
        hist = from_rows([{"step": s, "split": "layer", "name": "fc1/grad_norm", "value": 0.1}
                          for s in steps])
        layout = heatmap_spec(hist, "grad_norm")["layout"]
        low, high = layout["xaxis"]["range"]
        assert low == first and low >= 0 and high >= steps[-1], (steps, layout["xaxis"])
        assert layout["xaxis"].get("autorange") is not True


def test_train_page_panel_shows_heatmap_and_dead_relu(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", GRAPH, {"source": "iris"}, {}, status="completed")
    store.add_metrics(layer_rows(run_id))

    def script(rid: int = 0):
        from layerloom.ui import live

        live.draw(live.store_of(), rid, per_epoch=False)

    at = AppTest.from_function(script, kwargs={"rid": run_id}, default_timeout=60).run()
    assert not at.exception
    assert at.radio[0].label == "Layer diagnostics"
    assert at.radio[0].value == "grad_norm"
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("act: 95% of its outputs are zero") for w in warnings), warnings
    charts = [c for c in at.get("component_instance")
              if "layers" in str(getattr(c, "proto", ""))]
    assert charts, "the layers chart component is drawn"
