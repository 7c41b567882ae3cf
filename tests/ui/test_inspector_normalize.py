"""The inspector shows a Normalize block's per-channel lists (params of kind float_tuple) as
text boxes, ``0.485, 0.456, 0.406``, with ImageNet's values as placeholders; typing three values
stores a list, typing one stores one value for every channel, and validation checks the count
against the channels, naming the param. AppTest with the fake canvas."""

from __future__ import annotations

import json

from layerloom.graph import load_graph, validate
from layerloom.ui.testing import app_test, widget


def on_disk(home, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_mean_and_std_are_text_boxes_of_one_value_per_channel(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    pid = at.query_params["project"]
    level = canvas.last["graph"]
    level["nodes"].append({"id": "norm", "type": "Normalize", "position": [0, 700]})
    canvas.send("change", level, selected=["norm"])
    at.run()
    assert not at.exception, at.exception
    mean, std = widget(at.text_input, "mean"), widget(at.text_input, "std")
    assert (mean.value, std.value) == ("", "")  # nothing stored: the defaults apply
    assert mean.proto.placeholder == "0.485, 0.456, 0.406"
    assert std.proto.placeholder == "0.229, 0.224, 0.225"
    mean.set_value("0.5, 0.25, 0.125").run()
    widget(at.text_input, "std").set_value("0.5").run()
    assert not at.exception, at.exception
    saved = next(n for n in on_disk(home, pid)["nodes"] if n["id"] == "norm")
    assert saved["params"] == {"mean": [0.5, 0.25, 0.125], "std": 0.5}
    assert widget(at.text_input, "mean").value == "0.5, 0.25, 0.125"
    graph = on_disk(home, pid)  # the starting design takes [1, 28, 28] digits: one channel
    source = next(n for n in graph["nodes"] if n["type"] == "Input")
    assert source["params"]["shape"] == [1, 28, 28]
    graph["edges"].append({"source": source["id"], "target": "norm"})
    report = validate(load_graph(graph))
    assert [(p.param, p.message) for p in report.errors if p.node == "norm"] == [
        ("mean", "mean has 3 values, but the input [1, 28, 28] has 1 channel (dimension 0): "
                 "give one value per channel, or one for all")]  # std's one value fits
