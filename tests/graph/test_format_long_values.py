"""A value pasted megabytes long where a short one belongs is named in a message of a line, not
printed whole: a node's ``position`` of a million numbers made an 8 MB error, which the
designer showed in the browser, and a ``version`` of 15 MB of text a 15 MB one. The bounds
of nesting and integers are still named where they are."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError
from layerloom.graph.io import MAX_JSON_DEPTH, loads_graph

BASE = {"format": "layerloom-graph", "version": 1, "name": "x",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "y"}]}


def read(**changes):
    return loads_graph(json.dumps({**BASE, **changes}, indent=2), filename="d.json")


def test_a_long_position_is_shown_cut():
    node = {**BASE["nodes"][0], "position": list(range(1_000_000))}
    with pytest.raises(GraphError) as caught:
        read(nodes=[node, BASE["nodes"][1]])
    message = str(caught.value)
    assert message.startswith("d.json: x: nodes[0] (x): 'position' must be [x, y], got [0, 1, 2")
    assert len(message) < 200


def test_a_long_text_where_a_number_belongs_is_shown_cut():
    with pytest.raises(GraphError) as caught:
        read(version="1" * 15_000_000)
    assert str(caught.value) == (f"d.json: graph: 'version' must be a whole number, got the "
                                 f"text '{'1' * 40}'… (15,000,000 characters)")


def test_nesting_and_long_integers_are_still_named_where_they_are():
    deep: list = []
    inner = deep
    for _ in range(MAX_JSON_DEPTH + 5):
        inner.append([])
        inner = inner[0]
    node = {**BASE["nodes"][0], "params": {"shape": [4], "extra": deep}}
    with pytest.raises(GraphError, match=r"nodes\[0\]\.params\.extra\[0\]\[0\].*nested more "
                                         r"than \d+ levels deep"):
        read(nodes=[node, BASE["nodes"][1]])
    node = {**BASE["nodes"][0], "params": {"shape": [10 ** 60]}}
    with pytest.raises(GraphError, match=r"nodes\[0\]\.params\.shape\[0\]: a number of more "
                                         r"than \d+ digits"):
        read(nodes=[node, BASE["nodes"][1]])
