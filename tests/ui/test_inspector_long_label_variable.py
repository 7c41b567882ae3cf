"""The inspector's Label (and Id) box and a variable's value box write a value longer than the
box shows out in full under it, as a param's box does (AppTest, seed-cnn; the ``canvas`` and
``home`` fixtures are tests/ui/conftest.py's).

A label of 40 characters showed its first 30-odd in the inspector's box at 1024 px, the rest
only by clicking into the box and scrolling; a float variable's box, beside its slider, is 27
px of text at 1024 px: of ``0.000316228`` it showed ``0.00``, which the slider above (two
decimals) showed as well.
"""

from __future__ import annotations

import json

import pytest

from layerloom.ui.testing import app_test, shown, widget

LABEL = "first convolution, 32 filters of 3×3, stride one"


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def captions(at) -> list[str]:
    return [shown(c.value) for c in at.caption]


def saved(home, at) -> dict:
    pid = at.query_params["project"]
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_a_long_label_is_shown_whole_under_its_box(app, home, canvas):
    canvas.send("select", selected=["conv1"])
    app.run()
    widget(app.text_input, "Label").set_value("stem").run()
    assert not app.exception, app.exception
    assert "stem" not in captions(app)  # short: not repeated
    widget(app.text_input, "Label").set_value(LABEL).run()
    assert not app.exception, app.exception
    node = next(n for n in saved(home, app)["nodes"] if n["id"] == "conv1")
    assert node["label"] == LABEL
    assert widget(app.text_input, "Label").value == LABEL  # still one line, editable
    assert LABEL in captions(app)


def test_a_long_id_is_shown_whole_too(app, home, canvas):
    canvas.send("select", selected=["conv1"])
    app.run()
    new = "first_convolution_of_the_stem_32_filters"
    widget(app.text_input, "Id").set_value(new).run()
    assert not app.exception, app.exception
    assert new in [n["id"] for n in saved(home, app)["nodes"]]
    assert new in captions(app)


def test_a_variable_value_longer_than_its_box_is_shown_whole(app, home):
    box = widget(app.text_input, "width value")
    assert box.value == "1"
    assert "1" not in captions(app)
    box.set_value("1.05").run()  # four characters: the box shows them whole
    assert not app.exception, app.exception
    assert "1.05" not in captions(app)
    widget(app.text_input, "width value").set_value("0.000316228").run()
    assert not app.exception, app.exception
    assert saved(home, app)["variables"]["width"] == pytest.approx(0.000316228)
    assert widget(app.text_input, "width value").value == "0.000316228"
    assert "0.000316228" in captions(app)
    # as markdown: with nothing to escape ('\\0.000316228' drew its backslash)
    assert "0.000316228" in [c.value for c in app.caption]
