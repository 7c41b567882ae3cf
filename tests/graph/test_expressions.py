"""The expression whitelist: what is allowed, what is refused, and where it is reported."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, summarize, validate
from layerloom.graph.expressions import ExpressionError, evaluate

from ..conftest import chain  # noqa: TID252


@pytest.mark.parametrize("text,names,expected", [
    ("=round(32*width)", {"width": 1.5}, 48),
    ("=in_shape[0] * 6", {"in_shape": (16, 8, 8)}, 96),
    ("=1 if expand != 1 else 0", {"expand": 6}, 1),
    ("=max(1, c // 4) + ceil(2.1) - floor(1.9) + abs(-2) + int(3.7) + min(4, 5)",
     {"c": 10}, 2 + 3 - 1 + 2 + 3 + 4),
    ("=2 ** 3 % 5", {}, 3), ("=not (a > 1 and a < 3) or False", {"a": 2}, False),
    ("=in_shape[-1]", {"in_shape": (3, 7)}, 7), ("=1 < 2 <= 2", {}, True),
])
def test_allowed(text, names, expected):
    assert evaluate(text, names) == expected


@pytest.mark.parametrize("text,pattern", [
    ("=__import__('os')", r"function '__import__' is not allowed"),
    ("=width.real", r"attribute access \('\.real'\) is not allowed"),
    ("=open('x')", r"function 'open' is not allowed"),
    ("=(lambda: 1)()", r"call is not allowed: only the functions .* can be called"),
    ("=[x for x in in_shape]", r"listcomp is not allowed"),
    ("='abc'", r"constant 'abc' is not allowed"),
    ("=undefined + 1", r"unknown name 'undefined'"),
    ("=1 +", r"cannot parse"),
    ("=2 ** 100000", r"exponent too large"),
    ("=in_shape[5]", r"index 5 is out of range"),
    ("=1/0", r"division by zero"),
    ("=round(x=1)", r"takes no keyword arguments"),
])
def test_refused(text, pattern):
    with pytest.raises(ExpressionError, match=pattern):
        evaluate(text, {"width": 1, "in_shape": (3, 4)})


def test_refusal_names_node_and_param():
    g = chain(("x", "Input", {"shape": [4]}),
              ("fc", "Linear", {"out_features": "=__import__('os').getpid()"}), ("y", "Output"))
    errors = validate(parse_graph(g)).errors
    assert len(errors) == 1
    assert errors[0].node == "fc" and errors[0].param == "out_features"
    assert "not allowed" in errors[0].message


def test_variables_chain_and_override():
    g = chain(("x", "Input", {"shape": [1, 28, 28]}),
              ("c", "Conv2d", {"out_channels": "=ch", "kernel_size": 3}), ("f", "Flatten"),
              ("fc", "Linear", {"out_features": "=classes"}), ("y", "Output"),
              variables={"width": 1.0, "ch": "=round(16*width)", "classes": 10})
    assert summarize(parse_graph(g)).nodes[1].output_shape == [16, 26, 26]
    s2 = summarize(parse_graph(g), variables={"width": 2})
    assert s2.nodes[1].output_shape == [32, 26, 26]
    report = validate(parse_graph(g), variables={"depth": 2})
    assert any("no variable 'depth'" in e.message for e in report.errors)


def test_integer_param_accepts_whole_float_result():
    g = chain(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": "=64 / 2"}),
              ("y", "Output"))
    assert summarize(parse_graph(g)).outputs == [[32]]
    g["nodes"][1]["params"]["out_features"] = "=65 / 2"
    errors = validate(parse_graph(g)).errors
    assert "expected a whole number, got 32.5" in errors[0].message


def test_list_elements_may_be_expressions():
    g = chain(("x", "Input", {"shape": [2, 9, 9]}),
              ("c", "Conv2d", {"out_channels": 2, "kernel_size": ["=k", 1]}), ("y", "Output"),
              variables={"k": 3})
    assert summarize(parse_graph(g)).outputs == [[2, 7, 9]]
