"""The designer page with Streamlit's AppTest; the canvas component is replaced by a fake that
records what was drawn and returns queued user actions (the ``canvas`` and ``home`` fixtures are
in tests/ui/conftest.py)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph, summarize
from layerloom.ui.testing import APP, app_test, popovers, shown, toasted, widget


@pytest.fixture
def app(home, canvas) -> AppTest:
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def errors(at: AppTest) -> str:
    return "\n".join(shown(e.value) for e in at.error)


def saved(home, at: AppTest) -> dict:
    pid = at.query_params["project"]
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def node_ids(level: dict) -> list[str]:
    return [n["id"] for n in level["nodes"]]


def test_opens_seed_cnn_with_its_totals(app, canvas, home):
    assert "**34,826** params" in texts(app)
    assert ":green-badge[:material/check_circle: valid]" in texts(app)
    assert node_ids(canvas.last["graph"])[:2] == ["image", "conv1"]
    assert canvas.last["annotations"]["nodes"]["conv1"]["output_shape"] == [32, 26, 26]
    assert canvas.last["annotations"]["edges"]["flat->fc"] == {"shape": [1600]}
    assert any(e["type"] == "Linear" for e in canvas.last["catalog"])
    assert app.query_params["project"].startswith("seed-cnn-")
    assert saved(home, app)["name"] == "seed-cnn"


def test_a_change_adding_linear_updates_graph_shapes_and_autosaves(app, canvas, home):
    level = canvas.last["graph"]
    level["nodes"].insert(8, {"id": "linear1", "type": "Linear",
                              "params": {"out_features": 64}, "position": [1650, 120]})
    level["edges"] = [e for e in level["edges"] if e["source"] != "flat"]
    level["edges"] += [{"source": "flat", "target": "linear1"},
                       {"source": "linear1", "target": "fc"}]
    canvas.send("change", level, selected=["linear1"])
    app.run()
    assert not app.exception
    ann = canvas.last["annotations"]
    assert ann["nodes"]["linear1"]["output_shape"] == [64]
    assert ann["nodes"]["linear1"]["params"] == 1600 * 64 + 64
    assert ann["edges"]["linear1->fc"] == {"shape": [64]}
    total = 34_826 - (1600 * 10 + 10) + (1600 * 64 + 64) + (64 * 10 + 10)
    assert f"**{total:,}** params" in texts(app)
    assert "linear1" in node_ids(saved(home, app))
    # the inspector shows the new node: its form is generated from Linear's declaration
    assert widget(app.number_input, "out_features").value == 64


def test_a_block_behind_an_error_says_why_its_output_is_unknown(app, canvas):
    """conv2's kernel larger than its input: relu2, after it, has no shape; its inspector
    says why ("Output ?" alone read as a broken relu2)."""
    canvas.send("select", selected=["conv2"])
    app.run()
    widget(app.text_input, "kernel_size").set_value("20").run()
    canvas.send("select", selected=["relu2"])
    app.run()
    assert "Output **?** · **0** params · **0** MACs" in texts(app)
    assert [c.value for c in app.caption if c.value.startswith(":material/info:")] == [
        ":material/info: shape not checked: it depends on conv2, which has an error"]
    assert not canvas.last["annotations"]["nodes"]["relu2"]["errors"]  # no badge of its own


def test_editing_a_param_shows_the_error_and_it_goes(app, canvas):
    canvas.send("select", selected=["conv2"])
    app.run()
    kernel = widget(app.text_input, "kernel_size")
    assert kernel.value == "3"
    kernel.set_value("20").run()
    assert "kernel 20×20 is larger than its 13×13 input" in errors(app)
    # the verdict opens the list (below the window's edge under the bar), each problem a
    # button that selects its block
    [verdict] = [p for label, p in popovers(app).items()
                 if label == ":red-badge[:material/error: 1 error]"]
    [problem] = verdict.button
    assert "kernel 20×20 is larger than its 13×13 input" in problem.label
    assert canvas.last["annotations"]["nodes"]["conv2"]["errors"]
    # the totals miss what the error stops: not a number then
    assert ":material/tune: **–** params" in texts(app)
    assert ":material/bolt: **–** MACs per sample" in texts(app)
    widget(app.text_input, "kernel_size").set_value("3").run()
    assert not app.error
    assert not canvas.last["annotations"]["nodes"]["conv2"]["errors"]
    assert "**34,826** params" in texts(app)
    assert ":green-badge[:material/check_circle: valid]" in texts(app)
    assert not [label for label in popovers(app) if "badge[:material/error" in label]


def test_an_expression_param_and_the_number_switch(app, canvas):
    canvas.send("select", selected=["conv1"])
    app.run()
    out = widget(app.text_input, "out_channels")
    assert out.value == "=round(32*width)"
    out.set_value("=round(16*width)").run()
    assert canvas.last["annotations"]["nodes"]["conv1"]["output_shape"] == [16, 26, 26]
    # the function button turns the expression into the number it gives
    next(b for b in app.button if b.key and b.key.endswith("conv1:out_channels:fx")).click().run()
    assert widget(app.number_input, "out_channels").value == 16


def test_undo_and_redo(app, canvas):
    assert canvas.last["ack"] == 0  # no canvas event handled yet
    level = canvas.last["graph"]
    level["nodes"].append({"id": "drop1", "type": "Dropout", "position": [0, 300]})
    canvas.send("change", level)
    app.run()
    assert "drop1" in node_ids(canvas.last["graph"])
    canvas.send("undo")
    app.run()
    assert "drop1" not in node_ids(canvas.last["graph"])
    # the answer says which event it answers, so the canvas takes it even when it equals a
    # graph drawn before (a quick delete then undo)
    assert canvas.last["ack"] == canvas.event["seq"]
    canvas.send("redo")
    app.run()
    assert "drop1" in node_ids(canvas.last["graph"])
    # an event already handled is ignored (the component repeats its last value on reruns)
    app.run()
    assert "drop1" in node_ids(canvas.last["graph"])


def test_undo_and_redo_are_off_when_this_session_has_nothing_to_undo(app, canvas):
    """History is per session: a reload (a new session) on a project edited before has
    nothing to undo, so the canvas is told to turn Undo (and Redo) off."""
    assert (canvas.last["can_undo"], canvas.last["can_redo"]) == (False, False)
    level = canvas.last["graph"]
    level["nodes"].append({"id": "drop1", "type": "Dropout", "position": [0, 300]})
    canvas.send("change", level)
    app.run()
    assert (canvas.last["can_undo"], canvas.last["can_redo"]) == (True, False)
    canvas.send("undo")
    app.run()
    assert (canvas.last["can_undo"], canvas.last["can_redo"]) == (False, True)
    canvas.send("redo")
    app.run()
    pid = app.query_params["project"]
    again = app_test()  # a reload: a new session on the same project, edited before
    again.query_params["project"] = pid
    again.run()
    assert not again.exception
    assert "drop1" in node_ids(canvas.last["graph"])
    assert (canvas.last["can_undo"], canvas.last["can_redo"]) == (False, False)


def test_grouping_two_nodes_then_open_and_back(app, canvas, home):
    canvas.send("group", selected=["conv1", "relu1"], ids=["conv1", "relu1"])
    app.run()
    assert not app.exception
    level = canvas.last["graph"]
    assert "block1" in node_ids(level) and "conv1" not in node_ids(level)
    assert canvas.last["selected"] == ["block1"]
    assert any(e["type"] == "Block" and e["category"] == "Blocks"
               for e in canvas.last["catalog"])
    assert "**34,826** params" in texts(app)
    assert canvas.last["annotations"]["nodes"]["block1"]["output_shape"] == [32, 26, 26]
    assert "Block" in saved(home, app)["blocks"]
    # its inspector counts the blocks inside, not its own Input and Output ("4 nodes inside")
    assert "2 blocks inside: Conv2d, ReLU" in "\n".join(
        c.value for c in app.caption) + texts(app)

    canvas.send("open", selected=["block1"], id="block1")
    app.run()
    assert node_ids(canvas.last["graph"]) == ["x", "conv1", "relu1", "out"]
    assert canvas.last["annotations"]["nodes"]["x"]["output_shape"] == [1, 28, 28]
    crumb = next(b for b in app.button if b.label == "Model")
    crumb.click().run()
    assert "block1" in node_ids(canvas.last["graph"])


def test_group_form_promotes_params(app, canvas):
    canvas.send("select", selected=["conv2", "relu2"])
    app.run()
    widget(app.text_input, "Block name").set_value("ConvRelu")
    app.multiselect[0].set_value([("conv2", "out_channels")])
    next(b for b in app.button if b.label == "Group as block").click().run()
    assert not app.exception
    level = canvas.last["graph"]
    assert "convrelu1" in node_ids(level)
    catalog = {e["type"]: e for e in canvas.last["catalog"]}
    assert [p["name"] for p in catalog["ConvRelu"]["params"]] == ["out_channels"]
    assert "**34,826** params" in texts(app)


def test_variables_slider_changes_the_params_total(app, canvas, home):
    widget(app.slider, "width").set_value(0.5).run()
    expected = summarize(load_graph(saved(home, app))).params
    assert expected < 34_826
    assert f"**{expected:,}** params" in texts(app)
    assert canvas.last["annotations"]["nodes"]["conv1"]["output_shape"] == [16, 26, 26]
    assert saved(home, app)["variables"]["width"] == 0.5


def test_a_float_variable_takes_a_typed_value_and_its_slider_keeps_its_range(app, canvas,
                                                                            home):
    """The slider's range stays 0…2 as width moves within it (a range that followed the value
    re-created the slider at every step); the box beside it takes an exact value, beyond the
    slider's range too, and refuses what is no number."""
    box = widget(app.text_input, "width value")
    assert box.value == "1" and widget(app.slider, "width").max == 2.0
    assert widget(app.slider, "width").min == 0.05  # 0 would empty every layer it sizes
    widget(app.slider, "width").set_value(1.25).run()
    assert widget(app.slider, "width").max == 2.0 and saved(home, app)["variables"]["width"] \
        == 1.25
    assert widget(app.text_input, "width value").value == "1.25"
    widget(app.text_input, "width value").set_value("3.1").run()
    assert saved(home, app)["variables"]["width"] == 3.1
    assert widget(app.slider, "width").max == 4.0 and widget(app.slider, "width").value == 3.1
    assert canvas.last["annotations"]["nodes"]["conv1"]["output_shape"] == [99, 26, 26]
    widget(app.text_input, "width value").set_value("wide").run()
    assert not app.exception and saved(home, app)["variables"]["width"] == 3.1
    assert toasted(app, ":material/block:") == ["width takes a number; 'wide' is not one"]


def test_uploading_malformed_json_shows_the_named_error_and_keeps_the_design(app, canvas, home):
    pid = app.query_params["project"]
    app.file_uploader[0].set_value(("broken.json", b'{"format": "layerloom-graph",\n  oops}',
                                    "application/json")).run()
    assert not app.exception
    message = errors(app)
    assert "Could not open broken.json; the current design is kept." in message
    assert "broken.json: line 2, column 3: invalid JSON" in message
    assert app.query_params["project"] == pid
    assert "**34,826** params" in texts(app)


def test_uploading_a_graph_with_problems_names_them(app, canvas):
    bad = {"format": "layerloom-graph", "version": 1, "name": "x",
           "nodes": [{"id": "a", "type": 3}], "edges": []}
    app.file_uploader[0].set_value(("bad.json", json.dumps(bad).encode(), "application/json"))
    app.run()
    assert "bad.json: a: nodes[0] (a): 'type' must be text, got the number 3" in errors(app)


def test_uploading_a_good_graph_opens_it_as_a_new_project(app, canvas):
    pid = app.query_params["project"]
    graph = json.loads((APP.parents[1] / "assets" / "templates" / "mlp-tabular.json").read_text())
    app.file_uploader[0].set_value(("mlp.json", json.dumps(graph).encode(), "application/json"))
    app.run()
    assert app.query_params["project"] != pid
    assert [n["id"] for n in canvas.last["graph"]["nodes"]] == [n["id"] for n in graph["nodes"]]
    assert any("Opened mlp.json as a new project" in t for t in toasted(app))
    assert not app.success


def test_a_fresh_session_with_the_project_id_reopens_the_design(app, canvas, home):
    level = canvas.last["graph"]
    level["nodes"].append({"id": "extra1", "type": "ReLU", "position": [5, 400]})
    canvas.send("change", level, selected=["extra1"])
    app.run()
    pid = app.query_params["project"]

    canvas.event = None  # a new browser session: its canvas has sent nothing yet
    again = app_test()
    again.query_params["project"] = pid
    again.run()
    assert not again.exception
    assert "extra1" in node_ids(canvas.last["graph"])
    assert canvas.last["selected"] == ["extra1"]
    assert again.query_params["project"] == pid


def test_clicking_a_problem_selects_its_node(app, canvas):
    level = canvas.last["graph"]
    level["edges"] = [e for e in level["edges"] if e["target"] != "fc"]
    canvas.send("change", level)
    app.run()
    problem = next(b for b in app.button if shown(b.label).startswith("fc: Linear has no input"))
    problem.click().run()
    assert canvas.last["selected"] == ["fc"]


def test_a_bug_in_a_panel_shows_a_message_not_a_traceback(app, canvas, monkeypatch):
    from layerloom.ui import status

    def broken(state):
        raise RuntimeError("boom")

    monkeypatch.setattr(status, "render", broken)
    app.run()
    assert not app.exception
    assert "Something went wrong while drawing the Designer page: RuntimeError: boom" in \
        errors(app)


def test_opening_a_later_use_of_a_block_shows_that_use(home, canvas):
    """Double-clicking efficientnet-b0's stage5 shows stage5's input and kernel inside, not
    stage1's; the breadcrumb names the use and the caption says edits change every use."""
    from layerloom.graph.templates import load_template
    from layerloom.ui.projects import ProjectStore

    pid = ProjectStore().create(load_template("efficientnet-b0"))
    app = app_test()
    app.query_params["project"] = pid
    app.run()
    canvas.send("open", selected=["stage5"], id="stage5")
    app.run()
    assert not app.exception, app.exception
    nodes = canvas.last["annotations"]["nodes"]
    assert nodes["x"]["output_shape"] == [80, 14, 14]
    assert nodes["first"]["values"]["kernel"] == 5
    assert any(b.label == "› stage5 (Stage)" for b in app.button)
    assert any("edits change every use: stage1, stage2" in shown(c.value) for c in app.caption)
    canvas.send("select", selected=["first"])
    app.run()
    canvas.send("open", selected=["rest"], id="rest")  # a use inside the use
    app.run()
    assert canvas.last["annotations"]["nodes"]["x"]["output_shape"] == [112, 14, 14]
    next(b for b in app.button if b.label == "Model").click().run()
    canvas.send("open", selected=["stage1"], id="stage1")
    app.run()
    assert canvas.last["annotations"]["nodes"]["x"]["output_shape"] == [32, 112, 112]


def test_the_problems_are_listed_in_the_order_of_the_blocks(app, canvas):
    """Errors first, then warnings, each in the order of the design's blocks (they came in
    the order the checks ran: input1, linear2, linear1, …)."""
    from layerloom.graph import loads_graph
    from layerloom.ui import status
    from layerloom.ui.state import SESSION_KEY

    state = app.session_state[SESSION_KEY]
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [4]}},
             {"id": "a", "type": "Linear", "params": {"out_features": 8}},
             {"id": "b", "type": "Softmax"},
             {"id": "c", "type": "Linear", "params": {"out_features": 3}},
             {"id": "d", "type": "Linear", "params": {"out_features": 3}},
             {"id": "o", "type": "Output"}]
    edges = [("x", "a"), ("a", "b"), ("c", "o")]
    state.commit(loads_graph(json.dumps({
        "format": "layerloom-graph", "version": 1, "name": "messy", "nodes": nodes,
        "edges": [{"source": s, "target": t} for s, t in edges]})))
    shown = status.listed(state)
    order = [n["id"] for n in nodes]
    errors = [p for p in shown if p.severity == "error"]
    warnings = [p for p in shown if p.severity == "warning"]
    assert shown == errors + warnings and errors and warnings
    for group in (errors, warnings):
        places = [order.index(p.node.split(".")[0]) if p.node else -1 for p in group]
        assert places == sorted(places), [str(p) for p in group]
