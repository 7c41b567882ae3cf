"""The Variables panel's Add with no name typed says to name the variable: it said "variable
name '' cannot be used in an expression: a name is ASCII letters, digits and '_', and does not
start with a digit", of a name the newcomer never typed (AppTest, seed-cnn; the ``canvas`` and
``home`` fixtures are tests/ui/conftest.py's)."""

from __future__ import annotations

import pytest

from layerloom.graph import edit
from layerloom.graph.errors import GraphError
from layerloom.ui.testing import app_test, toasted, widget

NAMELESS = ("a variable needs a name: ASCII letters, digits and '_', not starting with a digit "
            "(e.g. depth)")


def test_add_without_a_name_asks_for_one(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    from layerloom.ui.state import SESSION_KEY

    before = dict(at.session_state[SESSION_KEY].graph.variables)
    widget(at.text_input, "Value").set_value("3")
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception, at.exception
    assert NAMELESS in toasted(at, icon=None)
    assert not [t for t in toasted(at, icon=None) if "''" in t]
    assert dict(at.session_state[SESSION_KEY].graph.variables) == before


def test_the_graph_says_the_same(seed_cnn):
    from layerloom.graph import parse_graph

    with pytest.raises(GraphError, match=r"^a variable needs a name: "):
        edit.set_variable(parse_graph(seed_cnn), "", 3)
    with pytest.raises(GraphError, match="variable name 'my var' cannot be used"):
        edit.set_variable(parse_graph(seed_cnn), "my var", 3)
