"""The dataset a project trains on is the one the Data page shows: the choice made there is
kept with the project (a reload, a new session and the Train page use it), else the design's
own dataset, else the built-in nearest the design's Input the Data page offers."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.graph import Graph
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

TIMEOUT = 60


def page(name: str, project_id: str) -> AppTest:
    """Page ``name`` (data or train) in a fresh browser session on project ``project_id``."""

    def script(page_name: str = "", pid: str = ""):
        import importlib

        import streamlit as st

        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        importlib.import_module(f"layerloom.ui.pages.{page_name}").render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"page_name": name, "pid": project_id},
                                 default_timeout=TIMEOUT)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_a_fresh_session_trains_on_the_dataset_the_design_names(home):
    pid = DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id
    at = page("train", pid).run()  # straight to Train, the Data page never opened
    assert not at.exception and not at.error
    assert any(c.startswith("Trains mlp-tabular on iris") for c in captions(at)), captions(at)
    assert not at.button(key="train.start").disabled


def test_the_data_chosen_is_kept_with_the_project_for_a_new_session(home):
    pid = DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id
    data = page("data", pid).run()
    assert data.selectbox(key="data.builtin").value == "iris"
    data.selectbox(key="data.builtin").select("wine").run()
    assert not data.exception
    assert ProjectStore(home).data_choice(pid)["source"] == "wine"

    again = page("data", pid).run()  # a reload: a new session
    assert again.selectbox(key="data.builtin").value == "wine"
    train = page("train", pid).run()
    assert not train.exception
    assert any(c.startswith("Trains mlp-tabular on wine") for c in captions(train))
    start = train.button(key="train.start")
    assert start.disabled and start.help.startswith("The design does not fit wine")
    # the misfit is one the Data page's button fixes: it says so
    [lead] = [m.value for m in train.markdown if "does not fit wine yet" in m.value]
    assert "*Fit the design to wine* makes the fixes that need no new block" in lead


def test_the_data_page_and_the_train_page_agree_on_a_design_that_names_no_data(home):
    from layerloom.graph import Edge, Node

    graph = Graph(name="untitled")
    graph.nodes = [Node("input1", "Input", {"shape": [1, 28, 28]}),
                   Node("flat", "Flatten", {}),
                   Node("fc", "Linear", {"out_features": 10}),
                   Node("out", "Output", {})]
    graph.edges = [Edge("input1", "flat"), Edge("flat", "fc"), Edge("fc", "out")]
    pid = DesignerState.new(ProjectStore(), graph).project_id
    data = page("data", pid).run()
    shown = data.selectbox(key="data.builtin").value
    train = page("train", pid).run()  # another session, straight to Train
    assert not train.exception and not train.error
    assert any(c.startswith(f"Trains untitled on {shown}") for c in captions(train)), \
        captions(train)
    assert not train.button(key="train.start").disabled


def test_a_kept_upload_that_is_gone_is_not_offered(home, tmp_path):
    from layerloom.ui.pagestate import DataChoice

    pid = DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id
    store = ProjectStore(home)
    store.set_data_choice(pid, DataChoice(str(tmp_path / "gone.csv"), {}, "gone.csv").to_dict())
    train = page("train", pid).run()
    assert not train.exception
    assert any(c.startswith("Trains mlp-tabular on iris") for c in captions(train))


def test_a_blank_design_of_token_ids_is_shown_the_text_dataset_not_mnist(home):
    """A Transformer built from a blank design (Input [64] int64 → Embedding → … → Linear)
    opened the Data page on mnist-5k, whose fixes said to set the Input to [1, 28, 28] and its
    dtype to float32 ('token ids are for text datasets'): the text model undone, for data its
    author never picked. The page, and the Train page, start on the built-in of its Input's kind:
    text-sentiment, whose fix is only the sequence length."""
    from layerloom.graph import Edge, Node

    graph = Graph(name="untitled")
    graph.nodes = [Node("input1", "Input", {"shape": [64], "dtype": "int64"}),
                   Node("embedding1", "Embedding", {"num_embeddings": 1000, "embedding_dim": 32}),
                   Node("pool", "SequencePool", {}),
                   Node("linear1", "Linear", {"out_features": 10}),
                   Node("output1", "Output", {})]
    graph.edges = [Edge("input1", "embedding1"), Edge("embedding1", "pool"),
                   Edge("pool", "linear1"), Edge("linear1", "output1")]
    pid = DesignerState.new(ProjectStore(), graph).project_id
    data = page("data", pid).run()
    assert not data.exception
    assert data.selectbox(key="data.builtin").value == "text-sentiment"
    text = "\n".join(m.value for m in data.markdown)
    assert "float32" not in text and "[1, 28, 28]" not in text, text
    train = page("train", pid).run()
    assert not train.exception
    assert any(c.startswith("Trains untitled on text-sentiment") for c in captions(train)), \
        captions(train)
    # fitting the design to it chooses it: the Train page no longer calls it a stand-in
    assert any("no data chosen yet" in c for c in captions(train))
    data.button(key="data.fit").click().run()
    assert not data.exception
    assert ProjectStore(home).data_choice(pid)["source"] == "text-sentiment"
    train = page("train", pid).run()
    assert [c for c in captions(train) if c.startswith("Trains ")] == [
        "Trains untitled on text-sentiment."]
