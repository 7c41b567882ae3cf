"""A design built from a blank canvas whose Input has no shape yet, and data chosen on the Data
page (AppTest, the Data page alone): the page names the shape the data need and fits the design
in one click, with the rest of the fit (the class count). It said only "The design has problems
to fix in the Designer first; then it is checked against this data", naming neither the
problem nor the shape, which the page itself shows a few lines above. A design with other
errors is not fitted, and the page names them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.graph import Edge, Graph, Node
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import shown

TIMEOUT = 60


def blank_built(input_params: dict, out_features=10) -> Graph:
    """Input → Linear(10) → ReLU → Linear(out_features) → Output, as the palette adds them."""
    graph = Graph(name="untitled")
    graph.nodes = [Node("input1", "Input", input_params),
                   Node("linear1", "Linear", {"out_features": 10}), Node("relu1", "ReLU", {}),
                   Node("linear2", "Linear", {"out_features": out_features}),
                   Node("output1", "Output", {})]
    graph.edges = [Edge(a.id, b.id) for a, b in zip(graph.nodes, graph.nodes[1:])]
    return graph


def data_page(project_id: str) -> AppTest:
    def script(pid: str = ""):
        import streamlit as st

        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        data.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"pid": project_id}, default_timeout=TIMEOUT)


def on_wine(graph: Graph) -> AppTest:
    at = data_page(DesignerState.new(ProjectStore(), graph).project_id).run()
    at.selectbox(key="data.builtin").select("wine").run()
    assert not at.exception, at.exception
    return at


def test_an_input_without_a_shape_is_given_the_datas_in_one_click(home):
    at = on_wine(blank_built({"dtype": "float32"}))
    problems = [shown(e.value) for e in at.error if "**Fix:**" in e.value]
    assert problems[0] == ("**input1**: the Input has no shape yet; wine gives [13] per "
                           "sample.  \n**Fix:** set input1's shape to [13].")
    assert any("linear2" in p and "3" in p for p in problems[1:]), problems
    assert not [i.value for i in at.info if "problems to fix in the Designer" in i.value]
    fit = at.button(key="data.fit")
    assert fit.label == "Fit the design to wine"
    fit.click().run()
    assert not at.exception, at.exception
    state = at.session_state["app"]
    assert state.report().ok
    assert state.graph.node("input1").params["shape"] == [13]
    assert state.graph.node("linear2").params["out_features"] == 3
    assert [s.value for s in at.success if "takes wine" in s.value]


def test_a_design_with_other_errors_is_not_fitted_and_they_are_named(home):
    at = on_wine(blank_built({"dtype": "float32"}, out_features=0))
    assert not [b for b in at.button if b.key == "data.fit"]
    [info] = [i.value for i in at.info if "problems to fix in the Designer" in i.value]
    assert info.startswith("The design has problems to fix in the Designer first; then it is "
                           "checked against this data: ")
    assert "input1: Input needs a shape" in info and "linear2: " in info
