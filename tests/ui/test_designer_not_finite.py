"""NaN and Infinity never reach the canvas or a saved design: Python's JSON reader takes them in
a design file, and the inspector read 'nan' or 'inf' typed into a param as floats, but the JSON
they were sent and saved as is no JSON to a browser (the canvas's component arguments could not
be parsed). They are kept as the text written, which validation names on the block."""

from __future__ import annotations

import json

from layerloom.ui.testing import app_test, shown, widget

DESIGN = ('{"format": "layerloom-graph", "version": 1, "name": "t",\n'
          ' "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},\n'
          '           {"id": "drop", "type": "Dropout", "params": {"p": NaN}},\n'
          '           {"id": "y", "type": "Output"}],\n'
          ' "edges": [{"source": "x", "target": "drop"}, {"source": "drop", "target": "y"}]}\n')


def strict(text: str):
    def refuse(name):
        raise ValueError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


def saved(home, app) -> str:
    return (home / "projects" / app.query_params["project"] / "graph.json").read_text()


def test_a_design_file_with_nan_opens_and_names_the_param(home, canvas):
    app = app_test()
    app.run()
    app.file_uploader[0].set_value(("nan.json", DESIGN.encode(), "application/json")).run()
    assert not app.exception
    json.dumps(canvas.last, allow_nan=False)  # what the browser is sent is JSON
    assert strict(saved(home, app))["nodes"][1]["params"] == {"p": "NaN"}
    assert canvas.last["annotations"]["nodes"]["drop"]["errors"] == [
        "p expected a number, got 'NaN'"]


def test_nan_typed_into_a_param_is_kept_as_text(home, canvas):
    app = app_test()
    app.run()
    canvas.send("select", selected=["conv2"])
    app.run()
    widget(app.text_input, "kernel_size").set_value("inf").run()
    assert not app.exception
    json.dumps(canvas.last, allow_nan=False)
    conv2 = [n for n in strict(saved(home, app))["nodes"] if n["id"] == "conv2"][0]
    assert conv2["params"]["kernel_size"] == "inf"
    assert canvas.last["annotations"]["nodes"]["conv2"]["errors"] == [
        "kernel_size expected a whole number, got 'inf'"]
    assert "kernel_size expected a whole number, got 'inf'" in [shown(e.value) for e in app.error]
