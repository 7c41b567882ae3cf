"""EfficientNet's compound scaling driven by one coefficient in the designer: the researcher adds
a variable ``phi`` (it goes last) and types ``=1.1 ** phi`` in width's box. The box took numbers
only ('width takes a number; '=1.1 ** phi' is not one'), and a variable using one listed after
it is invalid, with no way in the designer to move it: now width takes the expression and the
variables are put in an order that works (phi first), the design valid and scaled."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from layerloom.graph import edit, load_graph, summarize, validate
from layerloom.graph.templates import load_template
from layerloom.ui.testing import app_test, toasted, widget


def saved(home, at: AppTest) -> dict:
    pid = at.query_params["project"]
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def test_width_typed_as_an_expression_of_a_variable_added_after_it(home, canvas):
    app = app_test()
    app.run()
    assert not app.exception
    widget(app.text_input, "New variable").set_value("phi")
    widget(app.text_input, "Value").set_value("2")
    next(b for b in app.button if b.label == "Add").click().run()
    assert list(saved(home, app)["variables"]) == ["width", "classes", "phi"]
    widget(app.text_input, "width value").set_value("=1.1 ** phi").run()
    assert not app.exception and not toasted(app, ":material/block:")
    graph = saved(home, app)
    assert graph["variables"] == {"phi": 2, "width": "=1.1 ** phi", "classes": 10}
    assert list(graph["variables"]) == ["phi", "width", "classes"]
    report = validate(load_graph(graph))
    assert report.ok, report
    # seed-cnn's convolutions: round(32 * 1.21) = 39 and round(64 * 1.21) = 77 channels
    assert canvas.last["annotations"]["nodes"]["conv1"]["output_shape"] == [39, 26, 26]
    assert f"**{summarize(load_graph(graph)).params:,}** params" in "\n".join(
        m.value for m in app.markdown)


def test_efficientnet_scaled_by_phi_as_the_paper_writes_it():
    """Tan & Le's compound scaling: depth 1.2^phi, width 1.1^phi, resolution 1.15^phi, each set
    as an expression of phi, added last; the design is the one those values give."""
    graph = load_template("efficientnet-b0")
    graph = edit.set_variable(graph, "phi", 2)
    graph = edit.set_variable(graph, "width", "=1.1 ** phi")
    graph = edit.set_variable(graph, "depth", "=1.2 ** phi")
    graph = edit.set_variable(graph, "resolution", "=round(224 * 1.15 ** phi)")
    assert list(graph.variables) == ["phi", "width", "depth", "resolution", "classes"]
    report = validate(graph)
    assert report.ok, report
    assert report.resolution.variables["resolution"] == 296
    by_hand = load_template("efficientnet-b0")
    by_hand.variables.update(width=1.1 ** 2, depth=1.2 ** 2, resolution=296)
    assert summarize(graph).params == summarize(by_hand).params
    assert summarize(graph).macs == summarize(by_hand).macs


def test_variables_that_use_each_other_are_left_for_validation_to_say():
    graph = edit.set_variable(load_template("seed-cnn"), "classes", "=width")
    graph = edit.set_variable(graph, "width", "=classes")
    assert list(graph.variables) == ["width", "classes"]
    assert "refer to each other" in str(validate(graph).errors[0])
