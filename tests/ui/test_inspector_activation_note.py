"""The inspector of a Linear or a convolution says where its activation goes when none follows
it: a user from Keras looks for activation='relu' among the block's params and finds none, and
nothing said that the activation is a block of its own. A design that stacks two such layers
with nothing between says it as a warning on the second (graph/stacked_linear.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

GRAPH = {
    "format": "layerloom-graph", "version": 1, "name": "keras-like",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
              {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "padding": 1}},
              {"id": "act", "type": "ReLU"}, {"id": "flat", "type": "Flatten"},
              {"id": "hidden", "type": "Linear", "params": {"out_features": 16}},
              {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [("x", "conv"), ("conv", "act"),
                                                      ("act", "flat"), ("flat", "hidden"),
                                                      ("hidden", "fc"), ("fc", "y")]],
}


def script(pid: str = "", node: str = ""):
    import streamlit as st

    from layerloom.ui.inspector import render
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    if "app" not in st.session_state:
        st.session_state.app = DesignerState.open(ProjectStore(), pid)
    state = st.session_state.app
    render(state, state.node(node))


def inspected(pid: str, node: str) -> AppTest:
    at = AppTest.from_function(script, kwargs={"pid": pid, "node": node},
                               default_timeout=60).run()
    assert not at.exception
    return at


def test_a_linear_with_no_activation_after_it_says_where_one_goes(home):
    pid = DesignerState.new(ProjectStore(), load_graph(GRAPH)).project_id
    at = inspected(pid, "hidden")
    notes = [c.value for c in at.caption if "No activation follows" in c.value]
    assert notes == [
        ":material/info: No activation follows hidden (it feeds fc): drag ReLU (palette, "
        "Activation) onto the wire after hidden."]
    # and the block's own help, above it, why: the activation is a block of its own here
    assert any("It has no activation of its own: Keras' Dense(64, activation='relu') is "
               "Linear then a ReLU block." in m.value for m in at.markdown)
    # and the design's warning, on fc, names both layers; fc gives the output: no note
    at = inspected(pid, "fc")
    assert [w.value for w in at.warning if "no activation between" in w.value] == [
        "hidden (Linear) → fc (Linear) with no activation between: together they are one "
        "linear map, so fc adds weights but nothing the model could not do without it. Add a "
        "ReLU (or another activation) block between hidden and fc; an activation is a block of "
        "its own here: Keras' Dense(…, activation='relu') is Linear → ReLU."]
    assert not [c.value for c in at.caption if "No activation follows" in c.value]


def test_none_said_where_an_activation_follows(home):
    pid = DesignerState.new(ProjectStore(), load_graph(GRAPH)).project_id
    at = inspected(pid, "conv")
    assert not [c.value for c in at.caption if "No activation follows" in c.value]
    assert not at.warning
