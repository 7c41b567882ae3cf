"""The inspector's Trainable toggle: off marks the node ``"trainable": false`` (saved in the
design, drawn on the canvas, ``trainable_params`` follows); on removes the mark."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import load_graph, summarize
from layerloom.ui.testing import app_test


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def _saved(home, at) -> dict:
    pid = at.query_params["project"]
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_trainable_toggle_freezes_and_unfreezes(app, canvas, home):
    canvas.send("select", selected=["conv1"])
    app.run()
    toggle = next(t for t in app.toggle if t.label == "Trainable")
    assert toggle.value is True
    toggle.set_value(False).run()
    assert not app.exception, app.exception
    conv1 = next(n for n in _saved(home, app)["nodes"] if n["id"] == "conv1")
    assert conv1["trainable"] is False
    drawn = next(n for n in canvas.last["graph"]["nodes"] if n["id"] == "conv1")
    assert drawn["trainable"] is False  # the canvas draws it frozen
    summary = summarize(load_graph(_saved(home, app)))
    assert summary.trainable_params == summary.params - (32 * 1 * 3 * 3 + 32)
    next(t for t in app.toggle if t.label == "Trainable").set_value(True).run()
    conv1 = next(n for n in _saved(home, app)["nodes"] if n["id"] == "conv1")
    assert "trainable" not in conv1
