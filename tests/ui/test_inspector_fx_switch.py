"""The inspector's function button (fx) beside a number: pressing it shows a box for an
expression and changes nothing stored until one is typed (AppTest; the ``canvas`` and ``home``
fixtures are tests/ui/conftest.py's).

Pressing it on a block's ``repeat`` saved ``=1`` at once: an edit the user never made, with an
undo step of its own.
"""

from __future__ import annotations

import json

import pytest

from layerloom.ui.testing import app_test, widget


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    canvas.send("select", selected=["conv1"])
    at.run()
    return at


def conv1(home, at) -> dict:
    pid = at.query_params["project"]
    graph = json.loads((home / "projects" / pid / "graph.json").read_text())
    return next(n for n in graph["nodes"] if n["id"] == "conv1")


def fx(at, name: str):
    return next(b for b in at.button if b.key and b.key.endswith(f"conv1:{name}:fx"))


def test_the_function_button_saves_nothing_until_an_expression_is_typed(app, canvas, home):
    before = conv1(home, app)
    assert "repeat" not in before
    fx(app, ":repeat").click().run()
    assert not app.exception
    assert conv1(home, app) == before  # nothing saved, nothing to undo
    assert canvas.last["can_undo"] is False
    repeat = widget(app.text_input, "repeat")  # a box for the expression, started from 1
    assert repeat.value == "=1"
    assert fx(app, ":repeat").proto.type == "primary"
    app.run()  # the page drawn again (another widget's rerun) keeps the box
    assert widget(app.text_input, "repeat").value == "=1"
    widget(app.text_input, "repeat").set_value("=round(2*width)").run()
    assert conv1(home, app)["repeat"] == "=round(2*width)"
    assert canvas.last["can_undo"] is True


def test_pressed_twice_it_is_a_number_again_and_nothing_was_saved(app, canvas, home):
    before = conv1(home, app)
    fx(app, ":repeat").click().run()
    fx(app, ":repeat").click().run()
    assert not app.exception
    assert widget(app.number_input, "repeat").value == 1
    assert conv1(home, app) == before
    assert canvas.last["can_undo"] is False


def test_a_param_s_function_button_saves_nothing_either(app, canvas, home):
    before = conv1(home, app)
    assert "groups" not in before["params"]
    fx(app, "groups").click().run()
    assert conv1(home, app) == before
    assert widget(app.text_input, "groups").value == "=1"
    widget(app.text_input, "groups").set_value("=round(width)").run()
    assert conv1(home, app)["params"]["groups"] == "=round(width)"


def test_an_expression_typed_then_undone_is_the_number_again(app, canvas, home):
    fx(app, ":repeat").click().run()
    widget(app.text_input, "repeat").set_value("=round(2*width)").run()
    assert conv1(home, app)["repeat"] == "=round(2*width)"
    canvas.send("undo", selected=["conv1"])  # as the canvas sends it: conv1 still selected
    app.run()
    assert "repeat" not in conv1(home, app)
    assert widget(app.number_input, "repeat").value == 1  # not the box of the fx pressed before
    assert fx(app, ":repeat").proto.type == "secondary"
