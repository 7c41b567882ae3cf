"""The Train page with no data chosen (AppTest): a blank design made for other data (an MLP
for iris's 4 measurements) was told 'The design does not fit mnist-5k yet … Fix: set input1's
shape to [1, 28, 28]', steering a newcomer to remake it for data nobody picked. The page now
says no data is chosen, that the built-in nearest its Input stands in, and where to choose."""

from __future__ import annotations

import pytest

from layerloom.graph import load_graph
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import train_page


def iris_mlp(features: int = 5) -> str:
    """A blank design as a newcomer builds it: Input [features] → Linear(3) → Output, no
    dataset (5 measurements: no built-in has as many, iris's 4 is nearest)."""
    graph = load_graph({"format": "layerloom-graph", "version": 1, "name": "untitled",
                        "nodes": [{"id": "input1", "type": "Input",
                                   "params": {"shape": [features]}},
                                  {"id": "linear1", "type": "Linear",
                                   "params": {"out_features": 3}},
                                  {"id": "output1", "type": "Output"}],
                        "edges": [{"source": "input1", "target": "linear1"},
                                  {"source": "linear1", "target": "output1"}]})
    return DesignerState.new(ProjectStore(), graph).project_id


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def test_a_blank_design_with_no_data_chosen_is_told_to_choose_it(home):
    at = train_page(iris_mlp())
    at.run()
    assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "No data is chosen for this design yet" in text
    assert "pick the data it is for on the **Data** page" in text
    assert "it does not fit iris, the built-in dataset nearest its Input" in text
    assert "The design does not fit iris yet" not in text
    caption = next(c.value for c in at.caption if c.value.startswith("Trains "))
    assert caption == ("Trains untitled on iris (no data chosen yet: the built-in dataset "
                       "nearest its Input; choose yours on the Data page).")
    assert at.button(key="train.start").disabled  # still refused: it does not fit iris


def test_data_chosen_on_the_data_page_reads_as_before(home):
    from layerloom.ui.pagestate import DataChoice, PagesState

    pid = iris_mlp()
    at = train_page(pid)
    at.session_state["app"] = app = DesignerState.open(ProjectStore(), pid)
    app.pages["runs"] = PagesState(data=DataChoice("wine", {}, "wine"))
    at.run()
    text = "\n".join(m.value for m in at.markdown)
    assert "No data is chosen" not in text
    assert "**The design does not fit wine yet**" in text
    caption = next(c.value for c in at.caption if c.value.startswith("Trains "))
    assert caption == "Trains untitled on wine."


def test_a_template_s_own_dataset_is_no_guess(home):
    from layerloom.graph.templates import load_template

    pid = DesignerState.new(ProjectStore(), load_template("seed-cnn")).project_id
    at = train_page(pid)
    at.run()
    caption = next(c.value for c in at.caption if c.value.startswith("Trains "))
    assert caption == "Trains seed-cnn on mnist-5k."
    assert not at.button(key="train.start").disabled
