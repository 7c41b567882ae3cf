"""The Train page of a design with errors of its own (AppTest): a newcomer's cycle, or an
in_features typed by hand that is not its input's. The page said, in one grey line under the
disabled Start, 'Start is off until this is fixed: The design has 1 problem(s) to fix in the
Designer first: linear1: cycle: …', with no way to the block. Each error is now a box naming its
block (and param), with the button that selects that block in the Designer, as the data's
problems have; the line under Start counts them in words."""

from __future__ import annotations

import pytest

from layerloom.graph import load_graph
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import train_page


def design(nodes: list[dict], edges: list[tuple[str, str]]) -> str:
    graph = load_graph({"format": "layerloom-graph", "version": 1, "name": "mistakes",
                        "nodes": nodes,
                        "edges": [{"source": a, "target": b} for a, b in edges]})
    return DesignerState.new(ProjectStore(), graph).project_id


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def test_a_cycle_is_a_box_naming_its_block_with_a_way_to_it(home):
    pid = design([{"id": "input1", "type": "Input", "params": {"shape": [4]}},
                  {"id": "add1", "type": "Add"},
                  {"id": "linear1", "type": "Linear", "params": {"out_features": 4}},
                  {"id": "relu1", "type": "ReLU"},
                  {"id": "output1", "type": "Output"}],
                 [("input1", "add1"), ("add1", "linear1"), ("linear1", "relu1"),
                  ("relu1", "add1"), ("relu1", "output1")])
    at = train_page(pid)
    at.run()
    assert not at.exception, at.exception
    assert "**The design has 1 problem to fix in the Designer before training:**" in [
        m.value for m in at.markdown]
    assert [e.value for e in at.error] == [
        "**add1**: cycle: add1 → linear1 → relu1 → add1 (a graph must flow one way; "
        "remove one of these edges)"]
    select = at.button(key="train.designerror:select:0")
    assert select.label == "Select add1 in the Designer"
    assert at.button(key="train.start").disabled
    off = [c.value for c in at.caption if "Start is off" in c.value]
    assert off == [":material/block: Start is off until this is fixed: The design has 1 "
                   "problem to fix in the Designer."]
    select.click().run()
    app = at.session_state["app"]
    assert app.open_designer  # the button takes the newcomer there, the block selected


def test_two_errors_are_counted_in_words_each_with_its_param(home):
    pid = design([{"id": "input1", "type": "Input", "params": {"shape": [4]}},
                  {"id": "linear1", "type": "Linear",
                   "params": {"in_features": 8, "out_features": 32}},
                  {"id": "drop1", "type": "Dropout", "params": {"p": 1.5}},
                  {"id": "output1", "type": "Output"}],
                 [("input1", "linear1"), ("linear1", "drop1"), ("drop1", "output1")])
    at = train_page(pid)
    at.run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert errors[0] == ("**linear1** (in_features): in_features is 8, but the input gives 4; "
                         "leave in_features out (it is inferred)")
    assert errors[1:] == ["**drop1** (p): p must be at most 1, got 1.5"]
    off = [c.value for c in at.caption if "Start is off" in c.value]
    assert off == [":material/block: Start is off until this is fixed: The design has 2 "
                   "problems to fix in the Designer."]
