"""An edit refused in the inspector is said where the user is looking (AppTest, the whole app
with a fake canvas). The refusal was only a banner above the canvas: with the page scrolled
down to a block's Id, typing 'conv 2!' and Enter looked as if the box just went back. It is a
toast too now (toasts stand in the window's corner, however far the page is scrolled); the
banner keeps it until dismissed."""

from __future__ import annotations

import json

from layerloom.ui.testing import app_test, shown, toasted


def test_a_refused_id_is_toasted_and_kept_as_a_banner(home, canvas):
    at = app_test()
    at.run()
    canvas.send("select", selected=["conv2"])
    at.run()
    box = next(w for w in at.text_input if w.label == "Id")
    box.set_value("conv 2!").run()
    assert not at.exception, at.exception
    said = "conv2: id 'conv 2!' is not allowed: use 1–64 letters, digits, '_' or '-'"
    assert said in toasted(at, icon=":material/error:")
    assert said in [shown(e.value) for e in at.error]
    saved = json.loads((home / "projects" / at.query_params["project"] / "graph.json")
                       .read_text())
    assert "conv2" in [n["id"] for n in saved["nodes"]]
    at.run()  # said once as a toast; the banner stays
    assert said not in toasted(at, icon=":material/error:")
    assert said in [shown(e.value) for e in at.error]


def test_a_refusal_of_a_canvas_action_is_a_banner_only(home, canvas):
    """The banner stands right above the canvas the user acts on: a canvas action's refusal
    (a group that would make a cycle) is not said twice."""
    at = app_test()
    at.run()
    canvas.send("group", selected=["conv1", "pool1"], ids=["conv1", "pool1"])
    at.run()
    assert not at.exception, at.exception
    [banner] = [shown(e.value) for e in at.error]
    assert banner.startswith("relu1: grouping these blocks would make a cycle")
    assert banner not in toasted(at, icon=":material/error:")
