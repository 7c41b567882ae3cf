"""A param's value longer than its one-line box shows is written out in full under it
(AppTest; the ``canvas`` and ``home`` fixtures are tests/ui/conftest.py's).

efficientnet-b0's stem: ``out_channels`` is ``=max(8, int(32 * width + 4) // 8 * 8) + …``, of
which the inspector's box showed the first twenty-odd characters; the rest only by clicking
into the box and scrolling it.
"""

from __future__ import annotations

import json

import pytest

from layerloom.ui.testing import app_test, shown, widget

LONG = "=max(8, int(32 * width + 4) // 8 * 8) + (8 if 32 * width > 100 else 0)"


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    canvas.send("select", selected=["conv1"])
    at.run()
    return at


def captions(at) -> list[str]:
    return [shown(c.value) for c in at.caption]


def conv1(home, at) -> dict:
    pid = at.query_params["project"]
    graph = json.loads((home / "projects" / pid / "graph.json").read_text())
    return next(n for n in graph["nodes"] if n["id"] == "conv1")


def test_a_long_expression_is_shown_whole_under_its_box(app, home):
    box = widget(app.text_input, "out_channels")
    assert box.value == "=round(32*width)"  # seed-cnn's: short, not repeated under the box
    assert "=round(32*width)" not in captions(app)
    box.set_value(LONG).run()  # Enter applies it
    assert not app.exception, app.exception
    assert conv1(home, app)["params"]["out_channels"] == LONG
    assert widget(app.text_input, "out_channels").value == LONG  # still one line, editable
    assert LONG in captions(app)


def test_a_long_tuple_is_shown_whole_too(app, home):
    """A text param (a tuple) shows its value the same way."""
    value = "=max(1, round(3 * width)), =max(1, round(3 * width))"
    widget(app.text_input, "kernel_size").set_value(value).run()
    assert not app.exception, app.exception
    assert conv1(home, app)["params"]["kernel_size"] == [
        "=max(1, round(3 * width))", "=max(1, round(3 * width))"]
    assert value in captions(app)
