"""A param a block does not take is refused by name however long its list: a million values
in one counted toward the layer budget as the values of a param the block checks per copy
do, so the design was refused as one of a million layers and the param was never named."""

from __future__ import annotations

from layerloom.graph import validate

BASE = {"format": "layerloom-graph", "version": 1, "name": "x",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "y"}]}


def test_a_long_param_a_block_does_not_take_is_named():
    node = {**BASE["nodes"][0], "params": {"shape": [4], "junk": list(range(300_000))}}
    report = validate({**BASE, "nodes": [node, BASE["nodes"][1]]})
    assert [str(p) for p in report.errors] == [
        "x.junk: Input has no param 'junk' (it takes shape and dtype)"]


def test_a_long_list_in_a_param_it_takes_still_counts():
    node = {**BASE["nodes"][0], "params": {"shape": [1] * 300_000}}
    [error] = validate({**BASE, "nodes": [node, BASE["nodes"][1]]}).errors
    assert str(error).startswith("x: the design resolves to 149,994 layers")
