"""The live-chart component (ui/livechart): its served folder loads the vendored plotly.js before
its module, and the Python side refuses figures that cannot be told apart."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.ui import charts
from layerloom.ui.livechart import _STATIC_DIR, live_charts


def test_the_served_folder_loads_the_vendored_plotly_then_the_module():
    html = (_STATIC_DIR / "index.html").read_text()
    scripts = re.findall(r'<script[^>]*src="\./([^"]+)"', html)
    assert scripts == ["plotly-cartesian.min.js", "main.js"]
    for name in scripts + ["layout.js", "style.css"]:
        assert (_STATIC_DIR / name).stat().st_size > 0, name
    assert 'from "./layout.js"' in (_STATIC_DIR / "main.js").read_text()
    # the vendored plotly.js is the version package.json pins
    pinned = json.loads((_STATIC_DIR.parent / "package.json").read_text())["dependencies"]
    head = (_STATIC_DIR / "plotly-cartesian.min.js").read_text()[:200]
    assert f"plotly.js (cartesian - minified) v{pinned['plotly.js-cartesian-dist-min']}" in head


def test_figures_need_keys_of_their_own():
    loss = {"key": "loss", **charts.curves_spec([], "loss")}
    with pytest.raises(ValueError, match="each figure needs a key of its own"):
        live_charts([loss, loss], key="k")
    with pytest.raises(ValueError, match="each figure needs a key of its own"):
        live_charts([charts.lr_spec([])], key="k")


def test_the_figures_reach_the_component_as_plain_json():
    def script():
        from layerloom.ui import charts
        from layerloom.ui.livechart import live_charts

        rows = [{"step": s, "epoch": 0, "split": "step", "name": "loss", "value": 2.0 / s}
                for s in (10, 20, 30)]
        live_charts([{"key": "loss", **charts.curves_spec(rows, "loss")},
                     {"key": "lr", **charts.lr_spec(rows)}], key="live.1")

    at = AppTest.from_function(script).run()
    assert not at.exception
    (element,) = at.get("component_instance")
    args = json.loads(element.proto.json_args)
    assert [f["key"] for f in args["figures"]] == ["loss", "lr"]
    loss = args["figures"][0]
    assert loss["data"][0]["x"] == [10, 20, 30]
    assert loss["data"][0]["y"] == pytest.approx([0.2, 0.1, 2 / 30])
    assert loss["layout"]["title"]["text"] == "Loss"
