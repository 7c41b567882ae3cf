"""Undo and redo from the canvas take the canvas's selection with them (the ``home`` and
``canvas`` fixtures are in tests/ui/conftest.py).

A block clicked and at once followed by Ctrl+Z reaches Python in the undo event alone: the
canvas drops the click's pending ``select`` for it and sends its selection with the undo. The
undo ignored it, and the inspector went on showing the block selected before (conv1) while the
canvas showed pool1 selected: an edit typed there changed another block than the one seen
selected. Found in a browser by an inspector edit, a click on pool1 and Ctrl+Z in quick
succession.
"""

from __future__ import annotations

import pytest

from layerloom.ui.testing import app_test


def _inspected(at) -> list[str]:
    return [c.value for c in at.caption if "· id" in c.value]


@pytest.mark.parametrize("kind", ["undo", "redo"])
def test_an_undo_or_redo_carries_the_selection_the_canvas_shows(home, canvas, kind):
    at = app_test()
    at.run()
    canvas.send("select", selected=["conv1"])
    at.run()
    assert _inspected(at) == ["Convolution · id **conv1**"]
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu2"]
    canvas.send("change", level, selected=["conv1"])
    at.run()
    if kind == "redo":
        canvas.send("undo", selected=["conv1"])
        at.run()
    canvas.send(kind, selected=["pool1"])  # pool1 clicked, Ctrl+Z before its select went
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["layerloom"].selected == ["pool1"]
    assert _inspected(at) == ["Pooling · id **pool1**"]
    assert ("relu2" in [n["id"] for n in canvas.last["graph"]["nodes"]]) == (kind == "undo")
