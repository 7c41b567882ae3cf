"""A misspelt variable in a param's expression ('=round(32*widht)', '=clases') is told the
name it is nearest to, as a misspelt param is ('did you mean'); a name near none is listed
with the known ones only."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, validate
from layerloom.graph.expressions import ExpressionError, evaluate


def _seed_cnn_with(node: str, param: str, value: str) -> dict:
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn").to_dict()
    next(n for n in graph["nodes"] if n["id"] == node)["params"][param] = value
    return graph


@pytest.mark.parametrize("node,param,typed,meant", [
    ("conv1", "out_channels", "=round(32*widht)", "width"),
    ("fc", "out_features", "=clases", "classes"),
    ("conv2", "out_channels", "=round(64*Width)", "width"),
])
def test_a_misspelt_variable_is_told_the_name_it_is_nearest_to(node, param, typed, meant):
    [error] = validate(parse_graph(_seed_cnn_with(node, param, typed))).errors
    assert (error.node, error.param) == (node, param)
    assert f"(did you mean '{meant}'?); known: " in error.message


def test_a_name_near_none_lists_the_known_ones_as_before():
    [error] = validate(parse_graph(_seed_cnn_with("fc", "out_features", "=zebra"))).errors
    assert error.message.startswith("out_features = '=zebra': unknown name 'zebra' "
                                    "(known: classes, ")
    assert "did you mean" not in error.message


def test_the_evaluator_itself_suggests_too():
    with pytest.raises(ExpressionError, match=r"unknown name 'widht' \(did you mean 'width'\?\)"):
        evaluate("=widht * 2", {"width": 1.0, "classes": 10})


@pytest.mark.parametrize("typed", ["=3x3", "=2width"])
def test_a_number_run_into_a_letter_is_told_to_multiply(typed):
    """Python's 'invalid decimal literal' said nothing to someone writing arithmetic."""
    with pytest.raises(ExpressionError) as caught:
        evaluate(typed, {"width": 1.0})
    assert str(caught.value) == (f"cannot parse {typed!r}: a number runs into a letter: "
                                 f"write * to multiply (3*3, 2*width)")
