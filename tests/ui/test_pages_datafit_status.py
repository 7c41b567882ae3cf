"""The designer's status bar checks the design against the chosen data (AppTest, the whole app
with a fake canvas): a badge says whether it fits, and each problem names its node with the
fix, with a button that selects the node."""

from __future__ import annotations


import pytest

from layerloom.graph import Edge
from layerloom.ui.pagestate import DataChoice, PagesState
from layerloom.ui.state import SESSION_KEY
from layerloom.ui.testing import app_test, shown


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def remove_flatten(state) -> None:
    graph = state.graph.copy()
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    graph.edges = [e for e in graph.edges if "flat" not in (e.source, e.target)]
    graph.edges.append(Edge("pool2", "fc"))
    state.commit(graph)


def test_no_data_chosen_no_badge(app):
    assert "fits" not in markdown(app)
    assert not app.warning


def test_the_status_says_the_design_fits_the_chosen_data_then_names_the_flatten_fix(app):
    state = app.session_state[SESSION_KEY]
    state.pages["runs"] = PagesState(data=DataChoice("mnist-5k", {}, "mnist-5k"))
    app.run()
    assert ":green-badge[:material/dataset: fits mnist-5k]" in markdown(app)
    assert not app.warning

    remove_flatten(app.session_state[SESSION_KEY])
    app.run()
    assert not app.exception
    text = markdown(app)
    assert ":green-badge[:material/check_circle: valid]" in text  # valid as a graph…
    assert ":red-badge[:material/dataset: does not fit mnist-5k]" in text  # …but not for mnist
    [warning] = [shown(w.value) for w in app.warning]
    assert warning.startswith("**fc**: a Linear acts on the last dimension only: fed pool2's "
                              "[64, 5, 5] feature map, the design gives [64, 5, 10] per sample")
    assert warning.endswith("**Fix:** add Flatten (or global pooling) before fc.")
    select = next(b for b in app.button if b.label == "Select fc")
    select.click().run()
    assert app.session_state[SESSION_KEY].selected == ["fc"]


def test_a_wrong_class_count_names_the_variable_in_the_status(app):
    state = app.session_state[SESSION_KEY]
    state.pages["runs"] = PagesState(data=DataChoice("digits", {}, "digits"))
    graph = state.graph.copy()
    graph.node("image").params["shape"] = [1, 8, 8]
    graph.node("pool2").params["kernel_size"] = 1
    graph.variables["classes"] = 7
    state.commit(graph)
    app.run()
    [warning] = [shown(w.value) for w in app.warning]
    assert warning == ("**fc**: the design's output has 7 values per sample but digits has 10 "
                       "classes.  \n**Fix:** set the variable classes to 10 (it sets fc's "
                       "out_features).")
